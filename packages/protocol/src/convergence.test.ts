// Property test of PROTOCOL.md §5: whatever the channel does (drop, duplicate, reorder,
// coalesce), replicas that resync on gaps converge to the senders' states.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Json } from "./json.js";
import type { BatchEntry, PeerState, UpdateEntry } from "./messages.js";
import { applyPatch, composePatches } from "./patch.js";
import type { Patch, PresenceData } from "./presence-types.js";
import { PresenceReplica } from "./replica.js";
import { sameValue } from "./test-arbitraries.js";

type SenderEvent =
  | { readonly op: "patch"; readonly c: number; readonly patch: Patch }
  | { readonly op: "reconnect" | "expire" | "return" | "leave" | "join"; readonly c: number };
type ChannelOp = { readonly op: "deliver" | "reorder" | "dup" | "drop" | "coalesce"; readonly pick: number };

const KEYS = ["cursor", "status", "a", "b"];
const patchArb: fc.Arbitrary<Patch> = fc
  .record({
    set: fc.dictionary(
      fc.constantFrom(...KEYS),
      fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null)),
    ),
    del: fc.subarray(KEYS),
  })
  .map(({ set, del }) => ({ set: set as PresenceData, del: del.filter((k) => !Object.hasOwn(set, k)) }));

const eventArb = (conns: number): fc.Arbitrary<SenderEvent> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ op: fc.constant("patch" as const), c: fc.nat(conns - 1), patch: patchArb }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constantFrom(
          "reconnect" as const,
          "expire" as const,
          "return" as const,
          "leave" as const,
          "join" as const,
        ),
        c: fc.nat(conns - 1),
      }),
    },
  );

const channelArb = fc.array(
  fc.record({ op: fc.constantFrom("deliver", "reorder", "dup", "drop", "coalesce"), pick: fc.nat() }),
  { maxLength: 300 },
) as fc.Arbitrary<ChannelOp[]>;

interface Sender {
  userId: string;
  epoch: number;
  clock: number;
  state: PresenceData;
  mode: "live" | "expired" | "gone";
}

/** Runs the senders; returns every emitted entry and the authority's live state after each one. */
function emit(conns: number, events: readonly SenderEvent[]) {
  const senders: Sender[] = Array.from({ length: conns }, (_, i) => ({
    userId: `user-${i}`,
    epoch: 0,
    clock: 0,
    state: {},
    mode: "gone",
  }));
  const log: BatchEntry[] = [];
  const truthAfter: Map<string, PeerState>[] = [new Map()];
  const truth = new Map<string, PeerState>();
  const cid = (c: number) => `conn-${String(c).padStart(12, "0")}`;
  const full = (c: number): PeerState => {
    const s = senders[c]!;
    return {
      connectionId: cid(c),
      userId: s.userId,
      info: undefined,
      epoch: s.epoch,
      clock: s.clock,
      state: s.state,
    };
  };
  const push = (entry: BatchEntry) => {
    log.push(entry);
    truthAfter.push(new Map(truth));
  };
  for (const ev of events) {
    const s = senders[ev.c]!;
    switch (ev.op) {
      case "join":
      case "reconnect":
        if (ev.op === "join" && s.mode !== "gone") break;
        if (ev.op === "reconnect" && s.mode !== "live") break;
        s.epoch += 1;
        s.clock = 0;
        s.mode = "live";
        truth.set(cid(ev.c), full(ev.c));
        push({ kind: "enter", ...full(ev.c) });
        break;
      case "patch":
        if (s.mode === "gone") break;
        s.clock += 1;
        s.state = applyPatch(s.state, ev.patch);
        // While expired (cut off), patches apply locally but reach nobody.
        if (s.mode === "expired") break;
        truth.set(cid(ev.c), full(ev.c));
        push({
          kind: "update",
          connectionId: cid(ev.c),
          epoch: s.epoch,
          base: s.clock - 1,
          clock: s.clock,
          ...ev.patch,
        });
        break;
      case "expire":
        if (s.mode !== "live") break;
        s.mode = "expired";
        truth.delete(cid(ev.c));
        push({ kind: "leave", connectionId: cid(ev.c), epoch: s.epoch, clock: s.clock, reason: "expired" });
        break;
      case "return":
        if (s.mode !== "expired") break;
        s.mode = "live";
        s.clock += 1; // the re-assert is a fresher version than the expiry
        truth.set(cid(ev.c), full(ev.c));
        push({ kind: "enter", ...full(ev.c) });
        break;
      case "leave":
        if (s.mode !== "live") break;
        s.mode = "gone";
        truth.delete(cid(ev.c));
        push({ kind: "leave", connectionId: cid(ev.c), epoch: s.epoch, clock: s.clock, reason: "left" });
        s.state = {};
        break;
    }
  }
  return { log, truthAfter };
}

interface InFlight {
  readonly index: number; // emission index + 1 (truthAfter[index] includes it)
  readonly entry: BatchEntry;
}

function coalesce(a: UpdateEntry, b: UpdateEntry): UpdateEntry {
  return { ...a, clock: b.clock, ...composePatches(a, b) };
}

/** Delivers the log to one replica through a hostile channel; resyncs on gaps. */
function runReplica(
  log: readonly BatchEntry[],
  truthAfter: readonly Map<string, PeerState>[],
  ops: readonly ChannelOp[],
) {
  const replica = new PresenceReplica();
  const lastIndexOf = new Map<string, number>();
  for (const [i, e] of log.entries()) lastIndexOf.set(e.connectionId, i + 1);
  let queue: InFlight[] = log.map((entry, i) => ({ index: i + 1, entry }));
  let seen = 0;
  let resyncs = 0;
  const deliver = (m: InFlight) => {
    seen = Math.max(seen, m.index);
    if (replica.apply(m.entry).kind === "gap") {
      resyncs += 1;
      // The snapshot is the authority's state now: at least as new as anything delivered.
      replica.applySnapshot([...truthAfter[seen]!.values()]);
    }
  };
  for (const { op, pick } of ops) {
    if (queue.length === 0) break;
    const i = pick % queue.length;
    const m = queue[i]!;
    switch (op) {
      case "deliver":
        deliver(queue.shift()!);
        break;
      case "reorder":
        queue.splice(i, 1);
        deliver(m);
        break;
      case "dup":
        deliver(m);
        break;
      case "drop":
        // Loss is only ever followed by something that reveals it (a later message of
        // the same connection); a silently lost *last* message is undetectable by design.
        if (lastIndexOf.get(m.entry.connectionId) !== m.index) queue.splice(i, 1);
        break;
      case "coalesce": {
        const j = queue.findIndex(
          (n, k) =>
            k > i &&
            n.entry.connectionId === m.entry.connectionId &&
            n.entry.kind === "update" &&
            m.entry.kind === "update" &&
            n.entry.epoch === m.entry.epoch &&
            n.entry.base <= m.entry.clock &&
            n.entry.base >= m.entry.base &&
            n.entry.clock >= m.entry.clock,
        );
        if (j < 0) break;
        const n = queue[j]!;
        const merged: InFlight = {
          index: n.index,
          entry: coalesce(m.entry as UpdateEntry, n.entry as UpdateEntry),
        };
        queue = queue.filter((_, k) => k !== i && k !== j);
        queue.splice(Math.min(i, queue.length), 0, merged);
        break;
      }
    }
  }
  for (const m of queue) deliver(m);
  return { replica, resyncs };
}

function view(peers: Iterable<PeerState>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const p of peers)
    out[p.connectionId] = { userId: p.userId, epoch: p.epoch, clock: p.clock, state: p.state };
  return out;
}

describe("convergence under a hostile channel", () => {
  it("brings every replica to the senders' states after the channel drains and resyncs complete", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 4 })
          .chain((conns) =>
            fc.tuple(
              fc.constant(conns),
              fc.array(eventArb(conns), { minLength: 1, maxLength: 80 }),
              fc.array(channelArb, { minLength: 1, maxLength: 3 }),
            ),
          ),
        ([conns, events, channels]) => {
          const joined: SenderEvent[] = [
            ...Array.from({ length: conns }, (_, c) => ({ op: "join" as const, c })),
            ...events,
          ];
          const { log, truthAfter } = emit(conns, joined);
          const expected = view(truthAfter[truthAfter.length - 1]!.values());
          for (const ops of channels) {
            const { replica } = runReplica(log, truthAfter, ops);
            expect(sameValue(view(replica.peers()), expected)).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("never resurrects a connection after its `left` leave, whatever old messages arrive later", () => {
    fc.assert(
      fc.property(fc.array(patchArb, { minLength: 1, maxLength: 10 }), fc.nat(), (patches, seed) => {
        const { log } = emit(1, [
          { op: "join", c: 0 },
          ...patches.map((patch) => ({ op: "patch" as const, c: 0, patch })),
        ]);
        const replica = new PresenceReplica();
        replica.apply({
          kind: "leave",
          connectionId: log[0]!.connectionId,
          epoch: 1,
          clock: log.length - 1,
          reason: "left",
        });
        // Every earlier message of that epoch, in a seed-rotated order, arrives after the leave.
        const rotated = log.map((_, i) => log[(i + seed) % log.length]!);
        for (const e of rotated) expect(replica.apply(e).kind).not.toMatch(/entered|updated/);
        expect(replica.size).toBe(0);
      }),
    );
  });

  it("brings a connection back after an `expired` leave when a fresher re-assert arrives", () => {
    const replica = new PresenceReplica();
    const base = { connectionId: "conn-000000000000", userId: "u", info: undefined, epoch: 3 };
    replica.apply({ kind: "enter", ...base, clock: 4, state: { status: "a" } });
    replica.apply({ kind: "leave", connectionId: base.connectionId, epoch: 3, clock: 4, reason: "expired" });
    expect(replica.apply({ kind: "enter", ...base, clock: 4, state: { status: "a" } }).kind).toBe("stale");
    expect(replica.apply({ kind: "enter", ...base, clock: 5, state: { status: "b" } }).kind).toBe("entered");
    expect(replica.get(base.connectionId)?.state).toEqual({ status: "b" });
  });
});
