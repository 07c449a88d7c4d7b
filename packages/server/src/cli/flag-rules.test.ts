import { describe, expect, it } from "vitest";
import { checkEdgeOnly, readDevFlags, readPods, readRedis, readShadowTo } from "./flag-rules.js";
import type { Value } from "./flag-spec.js";

const given = (entries: Record<string, Value>) => new Map(Object.entries(entries));
const defaults =
  (d: Record<string, Value>) =>
  <T extends Value>(name: string) =>
    d[name] as T;

describe("flag rules", () => {
  it("gives an edge its pods and refuses it Redis; other commands ignore --pods", () => {
    expect(readPods("edge", given({ pods: "a:1,b:2" }))).toEqual(["a:1", "b:2"]);
    expect(readPods("serve", given({ pods: "a:1" }))).toBeUndefined();
    expect(() => readPods("edge", given({}))).toThrow("edge needs --pods");
    expect(() => readPods("edge", given({ pods: "a:1", redis: "redis://r" }))).toThrow(
      "an edge does not use Redis",
    );
  });

  it("takes one Redis target", () => {
    expect(readRedis(given({}))).toBeUndefined();
    expect(() => readRedis(given({ redis: "redis://a", "redis-cluster": "b:1" }))).toThrow("not both");
  });

  it("refuses client-socket flags on a pod, naming the first", () => {
    expect(() => checkEdgeOnly("pod", given({ "allow-orgs": "x" }))).toThrow(
      "give --allow-orgs to the edges",
    );
    expect(() => checkEdgeOnly("edge", given({ "allow-orgs": "x" }))).not.toThrow();
  });

  it("ties the shadow flags to --shadow-to and --shadow-to to a key", () => {
    expect(() => readShadowTo(given({ "shadow-kid": "k" }))).toThrow("--shadow-kid needs --shadow-to");
    expect(() => readShadowTo(given({ "shadow-to": "ws://s" }))).toThrow("needs --shadow-token-key");
    expect(readShadowTo(given({ "shadow-to": "ws://s/", "shadow-token-key": "f" }))).toBe("ws://s");
  });

  it("keeps dev's flags to dev, and dev to loopback unless told otherwise", () => {
    const lo = defaults({ "insecure-dev-public": "false", host: "127.0.0.1" });
    expect(readDevFlags("dev", given({}), lo, {})).toEqual({ insecureDevPublic: false, devAllowOrigins: [] });
    expect(() => readDevFlags("serve", given({ "dev-allow-origin": "http://a" }), lo, {})).toThrow(
      "--dev-allow-origin applies to dev only",
    );
    const open = defaults({ "insecure-dev-public": "false", host: "0.0.0.0" });
    expect(() => readDevFlags("dev", given({}), open, {})).toThrow("needs --insecure-dev-public");
    expect(() => readDevFlags("dev", given({}), lo, { NODE_ENV: "production" })).toThrow(
      "NODE_ENV=production",
    );
  });
});
