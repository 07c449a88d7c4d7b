// fast-check arbitraries shared by the protocol's tests (not exported by the package).
import fc from "fast-check";
import { ERRORS, type ErrorCode } from "./errors.js";
import type { Json } from "./json.js";
import type { BatchEntry, ClientBatchEntry, ClientMessage, PeerState, ServerMessage } from "./messages.js";
import { MessageType } from "./messages.js";
import type { PresenceData } from "./presence-types.js";

/** -0 is sent as 0 (as in JSON); every other float64 round-trips exactly. */
export const double = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .map((d) => (Object.is(d, -0) ? 0 : d));
const key = fc.string({ minLength: 1, maxLength: 12 });

export const json: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    double,
    fc.integer(),
    fc.string({ maxLength: 20 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(key, fc.constantFrom("__proto__", "constructor")), tie("value"), { maxKeys: 4 }),
  ),
})).value;

export const cursor = fc.oneof(
  fc.constant(null),
  fc.record({ x: fc.double({ min: 0, max: 1, noNaN: true }), y: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

/** Any wire state (not necessarily valid presence): known fields in any shape, custom keys. */
export const wireState: fc.Arbitrary<PresenceData> = fc
  .record(
    {
      cursor: fc.oneof(cursor, json),
      status: fc.oneof(fc.string({ maxLength: 64 }), json),
      avatar: fc.oneof(fc.webUrl(), json),
      meta: json,
      custom: fc.dictionary(key, json, { maxKeys: 3 }),
    },
    { requiredKeys: [] },
  )
  .map(({ custom, ...known }) => ({ ...custom, ...known }) as PresenceData);

const uint = fc.nat({ max: 2 ** 40 });
const cid = fc.string({
  minLength: 16,
  maxLength: 22,
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEF0123456789_-"),
});

export const peerState: fc.Arbitrary<PeerState> = fc.record({
  connectionId: cid,
  userId: fc.string({ maxLength: 30 }),
  info: fc.option(json, { nil: undefined }).map((v) => (v === null ? undefined : v)),
  epoch: uint,
  clock: uint,
  state: wireState,
});

export const batchEntry: fc.Arbitrary<BatchEntry> = fc.oneof(
  peerState.map((p) => ({ kind: "enter" as const, ...p })),
  fc
    .record({
      connectionId: cid,
      epoch: uint,
      base: uint,
      span: fc.integer({ min: 1, max: 100 }),
      set: wireState,
    })
    .chain((r) =>
      fc.array(key, { maxLength: 3 }).map((del) => ({
        kind: "update" as const,
        connectionId: r.connectionId,
        epoch: r.epoch,
        base: r.base,
        clock: r.base + r.span,
        set: r.set,
        del: del.filter((k) => !Object.hasOwn(r.set, k)),
      })),
    ),
  fc.record({
    kind: fc.constant("leave" as const),
    connectionId: cid,
    epoch: uint,
    clock: uint,
    reason: fc.constantFrom("left" as const, "expired" as const),
  }),
);

/** What a BATCH to a client may hold: the room's entries and, for a filtered connection, `hide`. */
export const clientBatchEntry: fc.Arbitrary<ClientBatchEntry> = fc.oneof(
  batchEntry,
  fc.record({ kind: fc.constant("hide" as const), connectionId: cid }),
);

const viewRect = fc.option(fc.record({ x0: double, y0: double, x1: double, y1: double }), { nil: null });

const errorCode = fc.constantFrom(...(Object.keys(ERRORS) as ErrorCode[]));

export const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record({
    type: fc.constant(MessageType.UPDATE_PRESENCE),
    set: wireState,
    del: fc.array(key, { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant(MessageType.AUTH), token: fc.string({ maxLength: 200 }) }),
  fc.record({ type: fc.constant(MessageType.PING), t: double }),
  fc.record({ type: fc.constant(MessageType.SYNC_REQUEST), syncId: uint }),
  fc.record({ type: fc.constant(MessageType.RTT_REPORT), counts: fc.array(fc.nat(), { maxLength: 17 }) }),
  fc.record({ type: fc.constant(MessageType.BROADCAST), event: json }),
  fc.record({
    type: fc.constant(MessageType.SET_VIEW),
    view: fc.option(
      fc.record({
        everyone: fc.boolean(),
        rect: viewRect,
        field: fc.string({ maxLength: 20 }),
        pinned: fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }),
        cap: uint,
        roster: uint,
      }),
      { nil: null },
    ),
  }),
);

export const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({
    type: fc.constant(MessageType.WELCOME),
    connectionId: cid,
    userId: fc.string({ maxLength: 30 }),
    epoch: uint,
    serverTime: double,
    tokenExp: double,
    limits: fc.record(
      {
        ratePerSecond: double,
        burst: fc.nat(),
        maxStateBytes: fc.nat(),
        maxMetaBytes: fc.nat(),
        maxFrameBytes: fc.nat(),
        heartbeatMs: fc.nat(),
        keepaliveMs: fc.nat(),
      },
      {
        requiredKeys: [
          "ratePerSecond",
          "burst",
          "maxStateBytes",
          "maxMetaBytes",
          "maxFrameBytes",
          "heartbeatMs",
        ],
      },
    ),
    rttBuckets: fc.array(double, { maxLength: 16 }),
  }),
  errorCode.chain((code) =>
    fc.record({
      type: fc.constant(MessageType.ERROR),
      code: fc.constant(code),
      message: fc.string({ maxLength: 80 }),
      fatal: fc.constant(ERRORS[code].fatal),
    }),
  ),
  fc.record({ type: fc.constant(MessageType.PONG), t: double, serverTime: double }),
  fc.record({ type: fc.constant(MessageType.BATCH), entries: fc.array(clientBatchEntry, { maxLength: 5 }) }),
  fc.record({ type: fc.constant(MessageType.OCCUPANCY), connections: uint, users: uint, omitted: uint }),
  fc.record({ type: fc.constant(MessageType.PEER_LOST), connectionId: cid, epoch: uint }),
  fc.record({
    type: fc.constant(MessageType.EVENT),
    connectionId: cid,
    userId: fc.string({ maxLength: 30 }),
    event: json,
  }),
  fc.record({
    type: fc.constant(MessageType.SNAPSHOT_CHUNK),
    syncId: uint,
    entries: fc.array(peerState, { maxLength: 4 }),
  }),
  fc.record({ type: fc.constant(MessageType.SNAPSHOT_DONE), syncId: uint, total: uint }),
);

/**
 * Exact structural equality for test assertions: own enumerable keys, Object.is on
 * leaves. (vitest's toStrictEqual compares `.constructor`, which is an ordinary
 * presence key here.)
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ak.length !== bk.length) return false;
  return ak.every(
    (k) =>
      Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
