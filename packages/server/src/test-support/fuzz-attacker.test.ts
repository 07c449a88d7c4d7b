import { encode, MessageType, RTT_BUCKETS_MS } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import {
  type Answer,
  align,
  createPlan,
  explainBurst,
  type Plan,
  planFrame,
  truncations,
} from "./fuzz-attacker.js";
import type { Frame } from "./hostile-frames.js";

const bin = (label: string, bytes: Uint8Array): Frame => ({ kind: "binary", label, bytes });
const garbage = bin("garbage", Uint8Array.from([0xc1]));
const ping = (t: number) => bin("ping", encode({ type: MessageType.PING, t }));
const patch = (set: Record<string, unknown>) =>
  bin("update", encode({ type: MessageType.UPDATE_PRESENCE, set: set as never, del: [] }));
const rtt = bin(
  "rtt",
  encode({ type: MessageType.RTT_REPORT, counts: new Array(RTT_BUCKETS_MS.length + 1).fill(0) }),
);
const malformed: Answer = { kind: "error", code: "MALFORMED_MESSAGE", fatal: false, message: "" };
const limited: Answer = { kind: "error", code: "RATE_LIMITED", fatal: false, message: "" };
const pong = (t: number): Answer => ({ kind: "pong", t });

function plan(...frames: Frame[]): Plan {
  const p = createPlan();
  for (const f of frames) planFrame(p, f);
  return p;
}
const all = (p: Plan) => ({ from: p.expectations.length, to: p.expectations.length });

describe("planFrame", () => {
  it("expects MALFORMED_MESSAGE for undecodable and text frames, a PONG for a PING", () => {
    const p = plan(garbage, { kind: "text", label: "text", text: "hi" }, ping(3));
    expect(p.expectations.map((e) => e.kind)).toEqual(["error", "error", "pong"]);
  });

  it("follows the presence through accepted patches and leaves it alone on refused ones", () => {
    const p = plan(patch({ status: "a" }), patch({ cursor: { x: 2, y: 0 } }), patch({ color: "red" }));
    expect(p.expectations.map((e) => e.kind)).toEqual(["none", "error", "none"]);
    expect(p.states.at(-1)).toEqual({ status: "a", color: "red" });
    expect(p.accepted).toEqual([0, 1, 1, 2]);
  });

  it("does not send what a fresh connection's bucket would refuse", () => {
    const p = createPlan();
    const sent = Array.from({ length: 7 }, (_, i) => planFrame(p, patch({ n: i })));
    expect(sent).toEqual([true, true, true, true, true, false, false]);
  });

  it("ends the plan at a frame over 4 096 bytes", () => {
    const p = plan(ping(1), bin("big", new Uint8Array(5000)));
    expect(planFrame(p, ping(2))).toBe(false);
    expect(p.oversizeAt).toBe(1);
  });
});

describe("align", () => {
  it("accepts the answers in order and nothing else", () => {
    const p = plan(garbage, ping(1), garbage);
    expect(align(p.expectations, [malformed, pong(1), malformed], all(p))).toEqual([3]);
    expect(align(p.expectations, [pong(1), malformed, malformed], all(p))).toEqual([]);
    expect(align(p.expectations, [malformed, pong(1)], all(p))).toEqual([]); // a missing error
    expect(align(p.expectations, [malformed, pong(2), malformed], all(p))).toEqual([]); // the wrong PONG
    expect(align(p.expectations, [malformed, pong(1), malformed, malformed], all(p))).toEqual([]); // one too many
  });

  it("lets an RTT report of the right length be answered or not", () => {
    const p = plan(rtt, garbage);
    expect(align(p.expectations, [limited, malformed], all(p))).toEqual([2]);
    expect(align(p.expectations, [malformed], all(p))).toEqual([2]);
    expect(align(p.expectations, [limited], all(p))).toEqual([]);
  });
});

describe("truncations", () => {
  it("allows an early end only for the closes the frames called for", () => {
    const p = plan(ping(1), bin("big", new Uint8Array(5000)));
    expect(truncations(p, undefined, undefined)).toEqual({ from: 2, to: 2 });
    expect(truncations(p, { code: 1009 }, undefined)).toEqual({ from: 1, to: 1 });
    expect(truncations(p, { code: 1006 }, undefined)).toMatch(/without a fatal ERROR/);
    const abusive: Answer = { kind: "error", code: "ABUSIVE_CLIENT", fatal: true, message: "" };
    expect(truncations(p, { code: 4008 }, abusive)).toEqual({ from: 0, to: 1 });
    const token: Answer = { kind: "error", code: "INVALID_TOKEN", fatal: true, message: "" };
    expect(truncations(p, { code: 4001 }, token)).toMatch(/no frame called for/);
    const auth = plan(garbage, bin("auth", encode({ type: MessageType.AUTH, token: "junk" })), garbage);
    expect(truncations(auth, { code: 4001 }, token)).toEqual({ from: 2, to: 3 });
  });
});

describe("explainBurst", () => {
  const bytes = (f: Frame) => (f.kind === "text" ? new Uint8Array() : f.bytes);
  const burst = [patch({ n: 1 }), patch({ n: 2 }), patch({ cursor: { x: 2, y: 0 } }), patch({ m: 3 })].map(
    bytes,
  );

  it("finds which patches the bucket refused from the errors and the peer's entry", () => {
    const seen = { state: { n: 1, m: 3 }, clock: 2 };
    expect(explainBurst(burst, ["RATE_LIMITED", "INVALID_PRESENCE"], seen)).toBe(true);
    expect(explainBurst(burst, ["RATE_LIMITED", "RATE_LIMITED"], seen)).toBe(true); // the invalid one, refused first
    expect(explainBurst(burst, ["INVALID_PRESENCE"], { state: { n: 2, m: 3 }, clock: 3 })).toBe(true);
  });

  it("refuses an entry or errors no choice explains", () => {
    expect(explainBurst(burst, ["INVALID_PRESENCE"], { state: { n: 1, m: 3 }, clock: 3 })).toBe(false);
    expect(explainBurst(burst, ["RATE_LIMITED", "INVALID_PRESENCE"], { state: { n: 2 }, clock: 2 })).toBe(
      false,
    );
    expect(explainBurst(burst, [], undefined)).toBe(false);
    expect(explainBurst([bytes(garbage)], ["RATE_LIMITED"], undefined)).toBe(false); // undecodable: MALFORMED first
  });
});
