// fast-check arbitraries for the live fuzz suite (security/live-fuzz.integration.test.ts):
// hostile WebSocket frames (random bytes, truncated, trailing and oversized MsgPack,
// well-formed arrays with wrong field types, unknown message types, huge and
// non-finite numbers, deep nesting, text frames) and otherwise valid client
// messages (PROTOCOL.md §3, §8), each with a label that names its recipe in a
// counterexample. Whether a frame is refused is not decided here: the oracle in
// fuzz-attacker.ts asks the protocol's own decoder and validators.
import {
  type ClientMessage,
  encode,
  MAX_INBOUND_FRAME_BYTES,
  MessageType,
  type PresenceData,
  RTT_BUCKETS_MS,
} from "@collabblocks/protocol";
import fc from "fast-check";
import { type Mp, writeMsgPack } from "./msgpack-writer.js";

/** One WebSocket message as the attacker sends it. */
export type Frame =
  /** `split`: sent as two fragments cut at this offset (the server reassembles them). */
  | { readonly kind: "binary"; readonly label: string; readonly bytes: Uint8Array; readonly split?: number }
  | { readonly kind: "text"; readonly label: string; readonly text: string }
  /** Bytes (possibly invalid UTF-8) sent with the text opcode. */
  | { readonly kind: "text-bytes"; readonly label: string; readonly bytes: Uint8Array };

/** Tokens an AUTH step may carry; the test resolves each to a real string. */
export type AuthKind = "junk" | "jwt-junk" | "other-room" | "other-user" | "renewal";

export type Step =
  | { readonly kind: "frame"; readonly frame: Frame }
  | { readonly kind: "auth"; readonly token: AuthKind };

const CLIENT_TYPES = [10, 20, 100, 110, 200, 300] as const;
const SERVER_TYPES = [1, 2, 11, 101, 120, 201, 202] as const;

/** How fast-check prints a frame in a counterexample: its recipe, size and first bytes, not every byte. */
function shown<F extends Frame>(frame: F): F {
  return Object.assign(frame, {
    [fc.toStringMethod](this: Frame): string {
      const bytes = this.kind === "text" ? Buffer.from(this.text) : Buffer.from(this.bytes);
      const split = this.kind === "binary" && this.split !== undefined ? `, split at ${this.split}` : "";
      const head = bytes.subarray(0, 24).toString("hex") + (bytes.length > 24 ? "…" : "");
      return `${this.label}(${bytes.length} bytes${split}: ${head})`;
    },
  });
}
const binary = (label: string, bytes: Uint8Array): Frame => shown({ kind: "binary", label, bytes });

// ---- hostile values ----

const hugeInt: fc.Arbitrary<Mp> = fc.constantFrom<Mp>(
  { u64: 2n ** 64n - 1n },
  { u64: 2n ** 53n + 1n },
  { u64: 2n ** 63n },
  { i64: -(2n ** 63n) },
  { i64: -1n },
  2 ** 53,
  -(2 ** 53),
  Number.MAX_VALUE,
  -Number.MIN_VALUE,
);
const nanLike: fc.Arbitrary<Mp> = fc.constantFrom<Mp>(
  { f64: Number.NaN },
  { f64: Number.POSITIVE_INFINITY },
  { f64: Number.NEGATIVE_INFINITY },
  { f64: -0 },
  { f32: Number.NaN },
  { f32: Number.NEGATIVE_INFINITY },
  { raw: Uint8Array.from([0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 1]) }, // a signalling NaN with a payload
);
const oddString = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.constantFrom("__proto__", "constructor", "toString", "userId", "connectionId", "", "\u0000", "\u2028"),
);
const scalar: fc.Arbitrary<Mp> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  oddString,
  hugeInt,
  nanLike,
  fc.uint8Array({ maxLength: 16 }).map((bin): Mp => ({ bin })),
  fc
    .record({ ext: fc.integer({ min: -128, max: 127 }), data: fc.uint8Array({ maxLength: 20 }) })
    .map((e): Mp => e),
);

/** Any MsgPack value, with maps whose keys may be of any type or repeat. */
export const hostileValue: fc.Arbitrary<Mp> = fc.letrec<{ v: Mp }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("v"), { maxLength: 5 }),
    fc
      .array(fc.tuple(fc.oneof(oddString, fc.integer({ min: -2, max: 5 }), scalar), tie("v")), {
        maxLength: 4,
      })
      .map((pairs): Mp => ({ pairs })),
    fc
      .record({ count: fc.nat({ max: 70_000 }), items: fc.array(tie("v"), { maxLength: 3 }) })
      .map((v): Mp => v),
  ),
})).v;

/** `depth` levels of single-element arrays or maps around nil: past the 16 the protocol allows. */
const nested = fc
  .record({ depth: fc.integer({ min: 14, max: 1300 }), maps: fc.boolean() })
  .map(({ depth, maps }) => {
    const open = maps ? [0x81, 0xa1, 0x6b] : [0x91]; // {"k": …} or […]
    const bytes = new Uint8Array(open.length * depth + 1);
    for (let i = 0; i < depth; i++) bytes.set(open, i * open.length);
    bytes[bytes.length - 1] = 0xc0;
    return { label: `nested-${maps ? "maps" : "arrays"}-${depth}`, raw: bytes };
  });

// ---- valid client messages ----

const unit = fc.double({ min: 0, max: 1, noNaN: true });
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const smallJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  finite,
  fc.string({ maxLength: 12 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
);
const big = (n: number) => fc.integer({ min: n - 200, max: n + 200 }).map((len) => "x".repeat(len));
const KEYS = [
  "cursor",
  "status",
  "avatar",
  "meta",
  "color",
  "score",
  "__proto__",
  "constructor",
  "userId",
  "",
];
const valueFor = (key: string): fc.Arbitrary<unknown> => {
  switch (key) {
    case "cursor":
      return fc.oneof(
        fc.constant(null),
        fc.record({ x: unit, y: unit }),
        fc.record({ x: finite, y: unit }),
        smallJson,
      );
    case "status":
      return fc.oneof(fc.constant(null), fc.string({ maxLength: 70 }), smallJson);
    case "avatar":
      return fc.oneof(
        fc.constant(null),
        fc.webUrl(),
        fc.constantFrom("javascript:alert(1)", "ftp://x/y"),
        smallJson,
      );
    case "meta":
      return fc.oneof(
        fc.constant(null),
        smallJson,
        big(1024).map((note) => ({ note })),
      );
    default:
      return fc.oneof(smallJson, big(1100), fc.constant(Number.NaN));
  }
};
const key = fc.oneof(
  fc.constantFrom(...KEYS),
  fc.constant("k".repeat(129)),
  fc.string({ minLength: 1, maxLength: 8 }),
);
const set = fc
  .uniqueArray(key, { maxLength: 3 })
  .chain((keys) => fc.tuple(...keys.map((k) => valueFor(k).map((v) => [k, v] as const))))
  .map((entries) => Object.fromEntries(entries) as PresenceData); // fromEntries: "__proto__" stays an own key
/** A patch the server accepts (unless the merged state grows too large): valid values, tricky keys. */
const CLEAN_KEYS = ["cursor", "status", "color", "score", "constructor", "toString", "note"];
const acceptableUpdate = fc
  .uniqueArray(fc.constantFrom(...CLEAN_KEYS), { minLength: 1, maxLength: 4 })
  .chain((keys) =>
    fc.tuple(
      ...keys.map((k) =>
        (k === "cursor"
          ? fc.option(fc.record({ x: unit, y: unit }))
          : k === "status"
            ? fc.option(fc.string({ maxLength: 64 }))
            : smallJson
        ).map((v) => [k, v] as const),
      ),
    ),
  )
  .chain((entries) => {
    const set = Object.fromEntries(entries.slice(1)) as PresenceData;
    // The first key is deleted instead of set, now and then.
    const del = fc.boolean().map((d) => (d ? [entries[0]![0]] : []));
    return del.map((d) => ({
      type: MessageType.UPDATE_PRESENCE,
      set: d.length > 0 ? set : (Object.fromEntries(entries) as PresenceData),
      del: d,
    }));
  });
const view = fc.record({
  rect: fc.option(fc.record({ x0: fc.double(), y0: fc.double(), x1: fc.double(), y1: fc.double() }), {
    nil: null,
  }),
  field: fc.oneof(fc.constant("cursor"), fc.string({ maxLength: 70 })),
  pinned: fc.array(fc.string({ maxLength: 10 }), { maxLength: 70 }),
  cap: fc.integer({ min: 0, max: 1200 }),
  roster: fc.integer({ min: 0, max: 120 }),
  everyone: fc.boolean(),
});

/** Messages a client may send, with values valid or not (the server judges the values). */
const anyUpdate = fc.record({ set, del: fc.uniqueArray(key, { maxLength: 2 }) }).map(({ set, del }) => ({
  type: MessageType.UPDATE_PRESENCE,
  set,
  del,
}));

/** UPDATE_PRESENCE messages, about half of them acceptable. */
export const updateMessage: fc.Arbitrary<ClientMessage & { type: typeof MessageType.UPDATE_PRESENCE }> =
  fc.oneof(anyUpdate, acceptableUpdate);

export const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  { arbitrary: anyUpdate, weight: 3 },
  { arbitrary: acceptableUpdate, weight: 3 },
  fc.record({ type: fc.constant(MessageType.PING), t: finite }),
  fc.record({
    type: fc.constant(MessageType.SYNC_REQUEST),
    syncId: fc.oneof(fc.nat({ max: 9 }), fc.constant(2 ** 53 - 1)),
  }),
  fc.record({ type: fc.constant(MessageType.SET_VIEW), view: fc.option(view, { nil: null }) }),
  fc.record({
    type: fc.constant(MessageType.RTT_REPORT),
    counts: fc.oneof(
      fc.array(fc.nat({ max: 3 }), {
        minLength: RTT_BUCKETS_MS.length + 1,
        maxLength: RTT_BUCKETS_MS.length + 1,
      }),
      fc.array(fc.nat(), { maxLength: 40 }),
    ),
  }),
);

const validBytes = clientMessage.map((m) => encode(m));

// ---- hostile frames ----

/** Frames within the size limit that a server must refuse (a few decode as valid messages by chance). */
const refusedFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.uint8Array({ maxLength: 96 }).map((b) => binary("random-bytes", b)),
  validBytes.chain((b) => fc.nat({ max: b.length - 1 }).map((n) => binary("truncated", b.slice(0, n)))),
  fc
    .tuple(validBytes, fc.uint8Array({ minLength: 1, maxLength: 8 }))
    .map(([b, extra]) => binary("trailing-bytes", Uint8Array.from([...b, ...extra]))),
  fc
    .tuple(fc.constantFrom(...CLIENT_TYPES), fc.array(hostileValue, { maxLength: 4 }))
    .map(([t, fields]) => binary(`wrong-types-${t}`, writeMsgPack([t, ...fields]))),
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom<Mp>(
          ...SERVER_TYPES,
          0,
          99,
          301,
          -1,
          10.5,
          { u64: 2n ** 64n - 100n },
          { f64: Number.NaN },
        ),
        fc.integer().filter((t) => !(CLIENT_TYPES as readonly number[]).includes(t)),
        hostileValue.filter((v) => typeof v !== "number"),
      ),
      fc.array(hostileValue, { maxLength: 3 }),
    )
    .map(([t, fields]) => binary("unknown-type", writeMsgPack([t, ...fields]))),
  hostileValue.filter((v) => !Array.isArray(v)).map((v) => binary("not-an-array", writeMsgPack(v))),
  // Input the server may quote in its error message: a long type, a long repeated key.
  // (A type of 4 069 characters or more makes an ERROR message longer than the decoder's 4 096.)
  fc
    .record({
      n: fc.oneof(fc.integer({ min: 1000, max: 4080 }), fc.integer({ min: 4060, max: 4080 })),
      c: fc.constantFrom("t", "\u0001"),
    })
    .map(({ n, c }) => binary("echo-type", writeMsgPack([c.repeat(n)]))),
  fc.integer({ min: 300, max: 1300 }).map((n) => {
    const k = "\u0001".repeat(n);
    return binary(
      "echo-duplicate-key",
      writeMsgPack([
        100,
        {
          pairs: [
            [k, 1],
            [k, 2],
          ],
        },
        [],
      ]),
    );
  }),
  nested.map(({ label, raw }) => binary(label, writeMsgPack([100, { pairs: [["k", { raw }]] }, []]))),
  nested.map(({ label, raw }) => binary(`${label}-frame`, raw)),
  fc.constantFrom(MAX_INBOUND_FRAME_BYTES - 1, MAX_INBOUND_FRAME_BYTES).map((n) =>
    // [100, {"k": "xxx…"}, []] of exactly n bytes: at the frame limit, over the state limit.
    binary(
      `exact-${n}`,
      writeMsgPack([
        100,
        {
          pairs: [
            [
              "k",
              {
                raw: Uint8Array.from([
                  0xda,
                  (n - 9) >> 8,
                  (n - 9) & 0xff,
                  ...new Uint8Array(n - 9).fill(0x78),
                ]),
              },
            ],
          ],
        },
        [],
      ]),
    ),
  ),
  fc
    .oneof(fc.string({ maxLength: 40 }), fc.constant('{"type":100,"set":{"status":"x"},"del":[]}'))
    .map((text): Frame => shown({ kind: "text", label: "text", text })),
  fc
    .uint8Array({ maxLength: 40 })
    .map((bytes): Frame => shown({ kind: "text-bytes", label: "text-bytes", bytes })),
);

/** Over the inbound limit: the server closes with 1009, so the attacker's run ends there (1 in 13). */
const oversize = fc
  .integer({ min: MAX_INBOUND_FRAME_BYTES + 1, max: 6000 })
  .map((n) => binary(`oversize-${n}`, new Uint8Array(n).fill(0x91)));

/** Frames a server must refuse, or close the socket for when oversized. */
export const hostileFrame: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: refusedFrame, weight: 12 },
  { arbitrary: oversize, weight: 1 },
);

/** A frame delivered in two fragments: the same message to the server. */
const fragmented = (frames: fc.Arbitrary<Frame>) =>
  frames.chain((f) =>
    f.kind === "binary" && f.bytes.length > 1
      ? fc
          .nat({ max: f.bytes.length - 2 })
          .map((n): Frame => ({ ...f, label: `${f.label}-fragmented`, split: n + 1 }))
      : fc.constant(f),
  );

/** A hostile frame, sometimes fragmented. */
export const attackFrame: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: hostileFrame, weight: 4 },
  fragmented(hostileFrame),
);

/** One step of an attacker's sequence: a valid message, a hostile frame, or an AUTH. */
export const attackStep: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: clientMessage.map(
      (m): Step => ({ kind: "frame", frame: binary(`valid-${m.type}`, encode(m)) }),
    ),
    weight: 7,
  },
  { arbitrary: attackFrame.map((frame): Step => ({ kind: "frame", frame })), weight: 4 },
  {
    arbitrary: fc
      .constantFrom<AuthKind>("junk", "jwt-junk", "other-room", "other-user", "renewal")
      .map((token): Step => ({ kind: "auth", token })),
    weight: 1,
  },
);
