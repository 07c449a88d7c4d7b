import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTestClient, type TestClient } from "../../server/src/test-support/test-client.js";
import { type DoEdgeCluster, startDoEdge } from "./test-support/do-edge.js";

let cluster: DoEdgeCluster;
const clients: TestClient[] = [];
beforeAll(async () => {
  cluster = await startDoEdge();
});
afterAll(async () => {
  for (const c of clients) c.terminate();
  await cluster?.close();
});

describe("the Durable Object edge", () => {
  it("welcomes two members and converges their presence", async () => {
    const token = (sub: string) => cluster.auth.sign({ sub, room: "r1", info: { name: sub } });
    const a = connectTestClient({ url: cluster.workerWsUrl, room: "r1", token: await token("alice") });
    clients.push(a);
    await a.ready.catch((e) => {
      throw new Error(`${e.message} ${JSON.stringify(a.errors)}`);
    });
    const b = connectTestClient({ url: cluster.workerWsUrl, room: "r1", token: await token("bob") });
    clients.push(b);
    await b.ready;
    a.update({ status: "editing" });
    b.update({ status: "idle" });
    await a.waitFor(() => a.others().get(b.welcome!.connectionId)?.status === "idle", 5000, "a sees b");
    await b.waitFor(() => b.others().get(a.welcome!.connectionId)?.status === "editing", 5000, "b sees a");
    expect(a.welcome!.limits.heartbeatMs).toBe(30_000);
  });
});
