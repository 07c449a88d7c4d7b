import { afterEach, describe, expect, it } from "vitest";
import { createSilentLogger } from "../ops/logger.js";
import { parseCli } from "./flags.js";
import type { RunningRole } from "./split-cli.js";
import { startRole } from "./start-role.js";

const fail = (message: string): never => {
  throw new Error(`fail: ${message}`);
};

function devConfig(port: number) {
  const parsed = parseCli(["dev", "--port", String(port)], {});
  if (parsed.kind !== "run") throw new Error(`bad test config: ${JSON.stringify(parsed)}`);
  return parsed.config;
}

const deps = {
  logger: createSilentLogger(),
  podId: "pod-test",
  bus: undefined,
  denyIps: [],
  staticDir: undefined,
  rollout: { authorize: undefined, shadow: undefined },
  fail,
};

const started: RunningRole[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.close()));
});

describe("startRole", () => {
  it("starts dev as one process and gives its ready line, role all", async () => {
    const role = await startRole(devConfig(0), deps);
    started.push(role);
    expect(role.listening).toEqual({
      event: "listening",
      role: "all",
      url: role.url,
      bind: "127.0.0.1",
      metrics: `${role.url}/metrics`,
    });
    expect(role.podId).toBe("pod-test");
  });

  it("fails with one line naming --port when the port is taken", async () => {
    const first = await startRole(devConfig(0), deps);
    started.push(first);
    const port = Number(new URL(first.url).port);
    await expect(startRole(devConfig(port), deps)).rejects.toThrow(
      `fail: --port ${port} on 127.0.0.1 is already in use`,
    );
  });
});
