// The server's own pause is not charged to a client (docs/SECURITY.md#input): a real
// server process, frozen with SIGSTOP (a busy host deschedules it) while a client sends
// at exactly the patch rate, reads the held-back patches in one bunch when it resumes,
// before its stall monitor's next tick, and must accept every one of them.
import { encode, MessageType, RATE_PER_SECOND } from "@collabblocks/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { type CliChild, startCliProcess } from "../../../../test-support/cli-process.js";
import { STALL_HOLD_MS } from "../limits/stall-monitor.js";
import { connectTestClient, fetchDevToken, type TestClient } from "../test-support/test-client.js";

const children: CliChild[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(children.splice(0).map((c) => c.kill9()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("stall allowance", () => {
  it("accepts a client's patches at the rate limit that a frozen server reads in one bunch", async () => {
    const server = await startCliProcess(["dev", "--port", "0"]);
    children.push(server);
    const { url } = server;
    const join = async (user: string) => {
      const token = await fetchDevToken(url, { room: "stall", user });
      const c = connectTestClient({ url: url.replace("http", "ws"), room: "stall", token });
      clients.push(c);
      await c.ready;
      return c;
    };
    const sender = await join("sender");
    const watcher = await join("watcher");
    // Past the hold of any stall the server's start-up caused, which would widen the bucket anyway.
    await sleep(STALL_HOLD_MS + 300);

    const PATCHES = 10; // half a second at the limit: twice the burst
    server.child.kill("SIGSTOP");
    try {
      for (let n = 0; n < PATCHES; n++) {
        sender.sendRaw(encode({ type: MessageType.UPDATE_PRESENCE, set: { n }, del: [] }));
        await sleep(1000 / RATE_PER_SECOND);
      }
    } finally {
      server.child.kill("SIGCONT");
    }
    const cid = sender.welcome!.connectionId;
    await watcher.waitFor(() => watcher.others().get(cid)?.n === PATCHES - 1, 5000, "the last patch");
    expect(sender.errors).toEqual([]);
    expect(watcher.replica.get(cid)?.clock).toBe(PATCHES);
  }, 20_000);
});
