// In-process dev-mode servers and their clients for the integration tests: each
// client gets a dev token from its server's issuer (POST /v1/dev/token) and is
// remembered, so the teardown ends every client a test opened with one call,
// whatever the test did.
import { createPresenceServer, type PresenceServer, type PresenceServerOptions } from "../index.js";
import { connectTestClient, fetchDevToken, type TestClient, type TestClientOptions } from "./test-client.js";

/** Where a dev client connects: the server's HTTP (token) and WebSocket URLs. */
export type DevServerUrls = Pick<PresenceServer, "url" | "wsUrl">;

export interface DevClientOptions
  extends Pick<TestClientOptions, "cid" | "key" | "epoch" | "view" | "rev" | "record" | "onMessage"> {
  /** The dev token's `info` claim, shown to peers (default: none). */
  readonly info?: unknown;
}

export interface DevClients {
  /** Connects `user` to `room` without waiting for the join (refusal tests await `closed`). */
  open(server: DevServerUrls, room: string, user: string, options?: DevClientOptions): Promise<TestClient>;
  /** Connects and waits for the join: welcome, then the room snapshot. */
  join(server: DevServerUrls, room: string, user: string, options?: DevClientOptions): Promise<TestClient>;
  /** Terminates every client opened so far (for afterEach/afterAll). */
  terminateAll(): void;
}

export function createDevClients(): DevClients {
  const clients: TestClient[] = [];
  const open: DevClients["open"] = async (server, room, user, options = {}) => {
    const { info, ...connect } = options;
    const token = await fetchDevToken(server.url, info === undefined ? { room, user } : { room, user, info });
    const client = connectTestClient({ url: server.wsUrl, room, token, ...connect });
    clients.push(client);
    return client;
  };
  return {
    open,
    async join(server, room, user, options) {
      const client = await open(server, room, user, options);
      await client.ready;
      return client;
    },
    terminateAll() {
      for (const c of clients.splice(0)) c.terminate();
    },
  };
}

/** One dev server with its clients: `open`/`join` connect to it. */
export interface DevServer {
  readonly server: PresenceServer;
  open(room: string, user: string, options?: DevClientOptions): Promise<TestClient>;
  join(room: string, user: string, options?: DevClientOptions): Promise<TestClient>;
  /** Terminates the clients, then closes the server. */
  close(): Promise<void>;
}

/** `createPresenceServer` with dev auth on a free port; `options` override or add to that. */
export async function startDevServer(options: Partial<PresenceServerOptions> = {}): Promise<DevServer> {
  const server = await createPresenceServer({ auth: "dev", port: 0, ...options });
  const clients = createDevClients();
  return {
    server,
    open: (room, user, o) => clients.open(server, room, user, o),
    join: (room, user, o) => clients.join(server, room, user, o),
    async close() {
      clients.terminateAll();
      await server.close();
    },
  };
}
