// A tiny protocol client for server tests and tools: `ws` + the protocol codec +
// a PresenceReplica, with no reconnect logic (that is the SDK's job). It records
// what arrives so tests can assert on errors, close codes and peer events, and it
// keeps the view a real client would have (snapshots, batches, resync on gap).
import {
  applyPatch,
  assertNever,
  type ClientMessage,
  createEntryAliasTable,
  decodeServerMessage,
  type ErrorMessage,
  type EventMessage,
  encode,
  MessageType,
  type OccupancyMessage,
  type PeerLostMessage,
  type PeerState,
  type PresenceData,
  PresenceReplica,
  patchFromPartial,
  type ServerMessage,
  type WelcomeMessage,
} from "@collabblocks/protocol";
import WebSocket from "ws";

export interface PeerEvent {
  readonly kind: "enter" | "leave" | "update";
  readonly connectionId: string;
  readonly epoch: number;
  /** For leaves: the reason, or "snapshot" when a snapshot removed it. */
  readonly reason?: string;
}

export interface TestClientOptions {
  /** Base WebSocket URL, e.g. ws://127.0.0.1:8787 */
  readonly url: string;
  readonly room: string;
  readonly token: string;
  readonly cid?: string;
  /** The identity key the server derives the connectionId from (PROTOCOL.md §1), as the SDK sends it. */
  readonly key?: string;
  readonly epoch?: number;
  /** The `view` query parameter (PROTOCOL.md §8), already encoded. */
  readonly view?: string;
  /** The protocol revision to read (PROTOCOL.md §1 `rev`); absent: the server's default, 1. */
  readonly rev?: number;
  /** Keep every decoded message in `messages` (default false: counters only). */
  readonly record?: boolean;
  /** Called for every decoded server message, with its receive time (performance.now()). */
  readonly onMessage?: (msg: ServerMessage, at: number) => void;
}

export interface TestClient {
  readonly ws: WebSocket;
  readonly replica: PresenceReplica;
  readonly errors: ErrorMessage[];
  readonly messages: ServerMessage[];
  readonly events: PeerEvent[];
  welcome: WelcomeMessage | undefined;
  /** The client's own presence as it has sent it. */
  local: PresenceData;
  /** Patches sent in this epoch (the server numbers them 1, 2, …). */
  sent: number;
  batches: number;
  snapshots: number;
  /** Broadcast events received (PROTOCOL.md §9), in order. */
  readonly broadcasts: EventMessage[];
  /** PEER_LOST notices received (PROTOCOL.md §9), in order. */
  readonly lostPeers: PeerLostMessage[];
  /** The last OCCUPANCY received (PROTOCOL.md §8), if any. */
  occupancy: OccupancyMessage | undefined;
  /** Bytes of server frames received. */
  bytesReceived: number;
  /** Text frames received (keepalive answers, PROTOCOL.md §4 "Keepalive"). */
  readonly textReceived: string[];
  /** Resolves after the join snapshot (SNAPSHOT_DONE 0); rejects if the socket closes first. */
  readonly ready: Promise<void>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  send(msg: ClientMessage): void;
  /** SDK-style partial update (undefined deletes a key). */
  update(partial: Readonly<Record<string, unknown>>): void;
  sendRaw(bytes: Uint8Array | string): void;
  /** Waits until `predicate` holds, checked after every message (and at once). */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Others' states by connectionId (excluding self). */
  others(): Map<string, PresenceData>;
  /** Stops reading from the socket (its kernel buffers fill up). */
  pause(): void;
  resume(): void;
  close(code?: number): Promise<{ code: number; reason: string }>;
  terminate(): void;
}

export function connectTestClient(options: TestClientOptions): TestClient {
  const q = new URLSearchParams({ token: options.token });
  if (options.cid !== undefined) q.set("cid", options.cid);
  if (options.key !== undefined) q.set("key", options.key);
  if (options.epoch !== undefined) q.set("epoch", String(options.epoch));
  if (options.view !== undefined) q.set("view", options.view);
  if (options.rev !== undefined) q.set("rev", String(options.rev));
  const ws = new WebSocket(`${options.url}/v1/rooms/${encodeURIComponent(options.room)}?${q}`, {
    perMessageDeflate: false,
  });
  const replica = new PresenceReplica();
  const waiters = new Set<() => void>();
  const chunks = new Map<number, PeerState[]>();
  let nextSyncId = 1;
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {});
  const closed = new Promise<{ code: number; reason: string }>((res) => {
    ws.on("close", (code, reason) => {
      rejectReady(new Error(`closed with ${code} ${reason.toString()} before the join snapshot`));
      res({ code, reason: reason.toString() });
      for (const w of waiters) w();
    });
  });
  ws.on("error", () => {});

  const client: TestClient = {
    ws,
    replica,
    errors: [],
    messages: [],
    events: [],
    welcome: undefined,
    local: {},
    sent: 0,
    batches: 0,
    broadcasts: [],
    lostPeers: [],
    occupancy: undefined,
    snapshots: 0,
    bytesReceived: 0,
    textReceived: [],
    ready,
    closed,
    send(msg) {
      ws.send(encode(msg));
    },
    update(partial) {
      const patch = patchFromPartial(partial);
      client.local = applyPatch(client.local, patch);
      client.sent++;
      client.send({ type: MessageType.UPDATE_PRESENCE, set: patch.set, del: patch.del });
    },
    sendRaw(bytes) {
      ws.send(bytes);
    },
    waitFor(predicate, timeoutMs = 10_000, what = "condition") {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    others() {
      const out = new Map<string, PresenceData>();
      for (const p of replica.peers()) {
        if (p.connectionId !== client.welcome?.connectionId) out.set(p.connectionId, p.state);
      }
      return out;
    },
    pause() {
      ws.pause();
    },
    resume() {
      ws.resume();
    },
    close(code = 1000) {
      ws.close(code);
      return closed;
    },
    terminate() {
      ws.terminate();
    },
  };

  const onServerMessage = (msg: ServerMessage): void => {
    switch (msg.type) {
      case MessageType.WELCOME:
        client.welcome = msg;
        client.sent = 0;
        return;
      case MessageType.ERROR:
        client.errors.push(msg);
        return;
      case MessageType.PONG:
        return;
      case MessageType.SNAPSHOT_CHUNK: {
        const list = chunks.get(msg.syncId) ?? [];
        for (const e of msg.entries) list.push(e);
        chunks.set(msg.syncId, list);
        return;
      }
      case MessageType.SNAPSHOT_DONE: {
        const entries = chunks.get(msg.syncId) ?? [];
        chunks.delete(msg.syncId);
        client.snapshots++;
        for (const change of replica.applySnapshot(entries, { authoritative: true })) {
          if (change.kind === "entered") {
            client.events.push({
              kind: change.previous ? "update" : "enter",
              connectionId: change.peer.connectionId,
              epoch: change.peer.epoch,
            });
          } else {
            client.events.push({
              kind: "leave",
              connectionId: change.previous.connectionId,
              epoch: change.previous.epoch,
              reason: "snapshot",
            });
          }
        }
        if (msg.syncId === 0) resolveReady();
        return;
      }
      case MessageType.BATCH: {
        client.batches++;
        let gap = false;
        for (const e of msg.entries) {
          if (e.kind === "hide") {
            replica.apply(e); // out of view (PROTOCOL.md §8): forgotten, no event
            continue;
          }
          const outcome = replica.apply(e);
          if (outcome.kind === "entered") {
            client.events.push({
              kind: outcome.previous ? "update" : "enter",
              connectionId: e.connectionId,
              epoch: e.epoch,
            });
          } else if (outcome.kind === "left") {
            client.events.push({
              kind: "leave",
              connectionId: e.connectionId,
              epoch: e.epoch,
              reason: outcome.reason,
            });
          } else if (outcome.kind === "gap") gap = true;
        }
        if (gap) client.send({ type: MessageType.SYNC_REQUEST, syncId: nextSyncId++ });
        return;
      }
      case MessageType.OCCUPANCY:
        client.occupancy = msg;
        return;
      case MessageType.EVENT:
        client.broadcasts.push(msg);
        return;
      case MessageType.PEER_LOST:
        client.lostPeers.push(msg);
        return;
      default:
        assertNever(msg);
    }
  };

  // From revision 3 entries name connections by alias (PROTOCOL.md §4): decoded as the SDK does.
  const aliases = (options.rev ?? 1) >= 3 ? createEntryAliasTable() : undefined;
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    client.bytesReceived += data.length;
    if (!isBinary) {
      // Text frames are keepalive answers only (PROTOCOL.md §4 "Keepalive").
      client.textReceived.push(data.toString());
      for (const w of waiters) w();
      return;
    }
    const msg = decodeServerMessage(data, undefined, aliases);
    if (options.record) client.messages.push(msg);
    options.onMessage?.(msg, performance.now());
    onServerMessage(msg);
    for (const w of waiters) w();
  });
  return client;
}

/** Gets a token from a dev server's POST /v1/dev/token. */
export async function fetchDevToken(
  httpUrl: string,
  request: { room: string; user: string; plan?: string; info?: unknown },
): Promise<string> {
  const res = await fetch(`${httpUrl}/v1/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  if (!res.ok) throw new Error(`dev token: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** A random valid connectionId (22 base64url characters, like the SDK's). */
export function randomConnectionId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString("base64url");
}
