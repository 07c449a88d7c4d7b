// Attack: identity capture after a restart (docs/SECURITY.md#identity). A
// single-process server forgets which user held which connectionId when it
// restarts; a room peer who had seen a victim's id used to claim it first, and
// the victim's reconnect was refused for good. Ids derived from the SDK's secret
// identity key and the token's user cannot be claimed by anyone else.
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCliProcess } from "../../../../test-support/cli-process.js";
import { connectTestClient, fetchDevToken, type TestClient } from "../test-support/test-client.js";

const ROOM = "identity";
const clients: TestClient[] = [];
let server: CliProcess | undefined;
afterAll(async () => {
  for (const c of clients) c.terminate();
  await server?.stop();
});

async function connect(user: string, options: { key?: string; cid?: string; epoch?: number }) {
  const token = await fetchDevToken(server!.url, { room: ROOM, user });
  const c = connectTestClient({ url: server!.url.replace(/^http/, "ws"), room: ROOM, token, ...options });
  clients.push(c);
  return c;
}

describe("identity after a restart", () => {
  it("lets only the user holding the key reclaim a connectionId, and nobody claim it as a plain cid", async () => {
    server = await startCliProcess(["dev", "--port", "0"]);
    const port = new URL(server.url).port;
    const aliceKey = "aliceSecretKeyAAAAAAAAA";
    const alice = await connect("alice", { key: aliceKey });
    await alice.ready;
    const victimId = alice.welcome!.connectionId;
    expect(victimId).toMatch(/^K[A-Za-z0-9_-]{23}$/);
    // The same key for another user derives another id: keys are not identities by themselves.
    const other = await connect("mallory", { key: aliceKey });
    await other.ready;
    expect(other.welcome!.connectionId).not.toBe(victimId);

    await server.kill9();
    server = await startCliProcess(["dev", "--port", port]);
    // Mallory saw the victim's id in the room and races to claim it first.
    const asCid = await connect("mallory", { cid: victimId });
    expect((await asCid.closed).code).toBe(4011);
    expect(asCid.errors[0]?.code).toBe("CONNECTION_ID_TAKEN");
    // Alice's reconnect gets her id back, with a higher epoch.
    const back = await connect("alice", { key: aliceKey, epoch: alice.welcome!.epoch });
    await back.ready;
    expect(back.welcome!.connectionId).toBe(victimId);
    expect(back.welcome!.epoch).toBeGreaterThan(alice.welcome!.epoch);
  }, 60_000);
});
