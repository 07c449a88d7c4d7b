// The few Workers runtime APIs this package uses, typed locally. The package is
// type-checked with the rest of the repo, whose Node typings (@types/node) clash
// with @cloudflare/workers-types' globals (Response, WebSocket, …); these
// declarations describe only what the runtime provides and what the code calls
// (docs/EDGE-WORKERS.md#configuration).

/** A WebSocket accepted with the Hibernation API (`state.acceptWebSocket`). */
export interface WorkerSocket {
  send(data: ArrayBuffer | ArrayBufferView | string): void;
  close(code?: number, reason?: string): void;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
  readonly readyState: number;
  /** Takes the socket without hibernation (refusals: an ERROR and a close). */
  accept(): void;
}

export interface DurableObjectStorage {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(keys: string[]): Promise<number>;
  list<T>(options: { prefix: string }): Promise<Map<string, T>>;
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): Promise<void>;
}

export interface DurableObjectState {
  acceptWebSocket(ws: WorkerSocket, tags?: string[]): void;
  getWebSockets(tag?: string): WorkerSocket[];
  getTags(ws: WorkerSocket): string[];
  /** The runtime answers this text request with this text response without waking the object. */
  setWebSocketAutoResponse(pair: unknown): void;
  /** When the runtime last answered the auto-response on this socket (null: never). */
  getWebSocketAutoResponseTimestamp(ws: WorkerSocket): Date | null;
  readonly storage: DurableObjectStorage;
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
}

/** A Workers Analytics Engine dataset binding (metrics.ts). */
export interface AnalyticsEngineDataset {
  writeDataPoint(point: { indexes?: string[]; blobs?: string[]; doubles?: number[] }): void;
}

export interface DurableObjectStub {
  fetch(request: Request): Promise<Response>;
}

export interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStub;
}

/** `new WebSocketRequestResponsePair(request, response)`, for setWebSocketAutoResponse. */
export function newAutoResponsePair(request: string, response: string): unknown {
  const Pair = (
    globalThis as unknown as { WebSocketRequestResponsePair: new (q: string, r: string) => unknown }
  ).WebSocketRequestResponsePair;
  return new Pair(request, response);
}

/** `new WebSocketPair()`: [client end, server end]. */
export function newWebSocketPair(): [WorkerSocket, WorkerSocket] {
  const Pair = (globalThis as unknown as { WebSocketPair: new () => Record<0 | 1, WorkerSocket> })
    .WebSocketPair;
  const pair = new Pair();
  return [pair[0], pair[1]];
}

/** A 101 response handing the client end to the runtime (a Workers-only ResponseInit field). */
export function upgradeResponse(client: WorkerSocket, protocol: string | undefined): Response {
  const headers = protocol ? { "sec-websocket-protocol": protocol } : undefined;
  return new Response(null, { status: 101, webSocket: client, headers } as ResponseInit);
}
