// Client side of the CollabBlocks protocol for the load generator: dev tokens,
// the UPDATE_PRESENCE frame (built by @collabblocks/protocol's own encoder, so the
// bytes are exactly the SDK's), and a reader that decodes only what it needs.
//
// Reading: every server frame is a MsgPack array `[type, …]`. The type is peeked
// from the first bytes; only WELCOME (our connectionId), ERROR, and — on probe
// connections — BATCH and snapshot chunks are decoded. Other receivers count a
// BATCH's entries from its array header, without decoding it.
//
// The generator reads protocol revision 4 (`rev=4`, PROTOCOL.md §4 "Revision 3" and
// "Revision 4"), as the SDK does: entries name connections by alias and cursor moves
// are compact, their coordinates as ratios when that is shorter.
// Probes keep the SDK's alias table (learnt from enters and snapshot peers) from
// their join on; a sender that does not probe decodes batches only until it has
// seen its own enter, whose alias then marks its own entries (its acks) for counting.
import http from "node:http";
import { encode, encodeViewParam, MessageType } from "@collabblocks/protocol";
import { Packr, Unpackr } from "msgpackr";
import { isSynthetic } from "../synthetic-ids.mjs";
import { countOccurrences } from "./count.mjs";

// Trusted input (our own server): plain objects are the fastest decode.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });
const packr = new Packr({ useRecords: false });
const ENTRY_ENTER = 0;
const ENTRY_UPDATE = 1;
const ENTRY_MOVE = 4;
const ENTRY_RATIO_MOVE = 5;
/** Concurrent token requests per worker process (the dev server signs ES256 per request). */
const TOKEN_CONCURRENCY_AGENT = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** Reads a MsgPack array header at `off`: [length, headerBytes], or null when it is not an array. */
function arrayHeader(buf, off) {
  const b = buf[off];
  if (b >= 0x90 && b <= 0x9f) return [b & 0x0f, 1];
  if (b === 0xdc) return [buf.readUInt16BE(off + 1), 3];
  if (b === 0xdd) return [buf.readUInt32BE(off + 1), 5];
  return null;
}

/** Message type of a frame from its first bytes (positive fixint or uint8), or -1. */
function peekType(buf) {
  const head = arrayHeader(buf, 0);
  if (head === null) return -1;
  const b = buf[head[1]];
  if (b < 0x80) return b;
  if (b === 0xcc) return buf[head[1] + 1];
  return -1;
}

function postJson(url, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: "POST",
        agent: TOKEN_CONCURRENCY_AGENT,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) return reject(new Error(`token ${res.statusCode}: ${text}`));
          resolve(JSON.parse(text));
        });
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

/**
 * Sends once the socket is assigned (a WELCOME can be parsed in the same turn as
 * the upgrade response, before `connectRaw` has resolved).
 */
function sendSoon(conn, set) {
  const frame = updateMessage(set);
  setImmediate(() => conn.ws?.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), true));
}

/** An UPDATE_PRESENCE setting `set`. */
function updateMessage(set) {
  return encode({ type: MessageType.UPDATE_PRESENCE, set, del: [] });
}

/** What a still member of a views run (L1) sends once joined: its place (see SNAPSHOT_DONE below). */
function placeUpdate(conn) {
  return { cursor: conn.rest };
}

/** An alias as MsgPack writes it (positive fixint, uint8, uint16, uint32). */
function packedUint(n) {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0xcc, n];
  if (n < 0x10000) return [0xcd, n >> 8, n & 0xff];
  return [0xce, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Learns the aliases of a decoded BATCH's enters; our own also gives the markers of our aliased entries. */
function learnEnters(conn, entries) {
  for (const e of entries) {
    if (e[0] !== ENTRY_ENTER || e.length <= 7) continue;
    conn.aliases.set(e[7], { cid: e[1], epoch: e[4] });
    if (e[1] === conn.self) {
      const a = packedUint(e[7]);
      // Our move [4, alias, …] with the timestamp (6 elements), without it (5), our ratio move
      // [5, alias, …] with it (7) and without (6), and our update [1, alias, …].
      conn.ownAliasMarkers = [
        [0x96, ENTRY_MOVE],
        [0x95, ENTRY_MOVE],
        [0x97, ENTRY_RATIO_MOVE],
        [0x96, ENTRY_RATIO_MOVE],
        [0x96, ENTRY_UPDATE],
      ].map((h) => Buffer.from([...h, ...a]));
    }
  }
}

/** A revision-3/4 entry as the revision-2 entry it stands for (alias → id and epoch, move → update), or null. */
function expanded(conn, e) {
  if (e[0] === ENTRY_ENTER) learnEnters(conn, [e]);
  if (typeof e[1] !== "number") return e;
  const a = conn.aliases.get(e[1]);
  if (a === undefined) return null;
  if (e[0] === ENTRY_MOVE) return [ENTRY_UPDATE, a.cid, a.epoch, e[2] - 1, e[2], e[5] ?? {}, []];
  if (e[0] === ENTRY_RATIO_MOVE) return [ENTRY_UPDATE, a.cid, a.epoch, e[2] - 1, e[2], e[6] ?? {}, []];
  return [e[0], a.cid, a.epoch, ...e.slice(2)];
}

/** Our own entries in a BATCH (acks, not deliveries), counted in the bytes. */
function ownEntries(conn, payload) {
  let n = conn.ownMarker ? countOccurrences(payload, conn.ownMarker) : 0;
  for (const m of conn.ownAliasMarkers ?? []) n += countOccurrences(payload, m);
  return n;
}

/** Counts the patches an update newly covers for this receiver (coalesced updates cover several). */
function coveredPatches(known, cid, epoch, base, clock) {
  const k = known.get(cid);
  if (k === undefined || k.epoch !== epoch) {
    known.set(cid, { epoch, clock });
    return 1; // first sight in this run: its base may predate our start
  }
  if (clock <= k.clock) return 0;
  const n = clock - Math.max(base, k.clock);
  k.clock = clock;
  return n;
}

export const ours = {
  name: "ours",
  async prepare(conn, ctx) {
    const { token } = await postJson(new URL("/v1/dev/token", ctx.tokenUrl), {
      room: conn.room,
      user: `bench-${conn.gid}`,
    });
    conn.token = token;
    conn.known = new Map();
    conn.self = null;
    conn.aliases = new Map(); // alias → { cid, epoch } (PROTOCOL.md §4 "Revision 3")
    conn.ownAliasMarkers = null;
  },
  path(conn) {
    // Views runs (L1) declare the viewport at join: the join snapshot holds only it.
    const rect = conn.viewRect ?? null;
    const view =
      rect !== null || conn.seeAll
        ? `&view=${encodeViewParam({ everyone: !rect, rect, field: "cursor", pinned: [], cap: 100, roster: 0 })}`
        : "";
    return `/v1/rooms/${encodeURIComponent(conn.room)}?token=${encodeURIComponent(conn.token)}${view}&rev=4`;
  },
  onOpen() {},
  encodeUpdate(_conn, cursor, tUs) {
    const set = tUs === undefined ? { cursor } : { cursor, t: tUs };
    const bytes = encode({ type: MessageType.UPDATE_PRESENCE, set, del: [] });
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  binary: true,
  /**
   * The message a counting-only connection sends once joined, or null (load-worker.mjs
   * hands it to the compiled receiver, which sends it after SNAPSHOT_DONE as onMessage does).
   */
  joinedMessage(conn) {
    return conn.rest && !conn.sender ? updateMessage(placeUpdate(conn)) : null;
  },
  /**
   * A probe decoded another sender's update (or enter), whose fields (`set` or state) are
   * `fields`, sent at `t`, covering `n` patches (ours-e2ee opens it first).
   */
  deliver(conn, cid, _fields, t, n, sink) {
    sink.update(conn, t, n, isSynthetic(cid));
  },
  onMessage(conn, _opcode, payload, sink) {
    const type = peekType(payload);
    switch (type) {
      case MessageType.BATCH: {
        if (!(conn.probe && sink.measuring)) {
          // Probes hold the room's aliases from their join; a sender needs only its own.
          if (conn.probe || (conn.sender && conn.ownAliasMarkers === null))
            learnEnters(conn, unpackr.unpack(payload)[1]);
          const head = arrayHeader(payload, 2); // [0x92, 0x65, entries…]
          // A sender's own update comes back in the batch (its ack): not a delivery.
          const own = conn.sender ? ownEntries(conn, payload) : 0;
          if (head !== null) sink.cheap(conn, head[0] - own);
          return;
        }
        const [, raw] = unpackr.unpack(payload);
        for (const r of raw) {
          const e = expanded(conn, r);
          if (e === null) {
            sink.error(conn, "UNKNOWN_ALIAS");
            continue;
          }
          // A connection's first patch can arrive as its enter (the server defers a fresh
          // connection's enter until it, connection.ts ENTER_DEFER_MS): that enter delivers it.
          // [0, cid, userId, info, epoch, clock, state] / [1, cid, epoch, base, clock, set, del]
          const enter = e[0] === ENTRY_ENTER;
          if (!enter && e[0] !== ENTRY_UPDATE) continue;
          const cid = e[1];
          const fields = enter ? e[6] : e[5];
          const t = fields?.t;
          if (cid === conn.self) {
            if (typeof t === "number") sink.ack(conn, t);
            continue;
          }
          const n = enter
            ? coveredPatches(conn.known, cid, e[4], 0, e[5])
            : coveredPatches(conn.known, cid, e[2], e[3], e[4]);
          if (n > 0 && typeof t === "number") this.deliver(conn, cid, fields, t, n, sink);
        }
        return;
      }
      case MessageType.SNAPSHOT_CHUNK: {
        if (!sink.measuring) sink.joinSnapshot(conn, payload.length);
        if (!conn.probe) return;
        const [, , entries] = unpackr.unpack(payload);
        for (const e of entries) if (e.length > 6) conn.aliases.set(e[6], { cid: e[0], epoch: e[3] });
        // Join snapshots are skipped; a resync snapshot while measuring (after back-pressure
        // dropped this socket's pending updates) delivers the senders' latest states.
        if (!sink.measuring) return;
        for (const e of entries) {
          const cid = e[0];
          const k = conn.known.get(cid);
          if (cid === conn.self || k === undefined || k.epoch !== e[3] || e[4] <= k.clock) continue;
          const n = e[4] - k.clock;
          k.clock = e[4];
          if (typeof e[5]?.t === "number") sink.update(conn, e[5].t, n, isSynthetic(cid));
        }
        return;
      }
      case MessageType.SNAPSHOT_DONE:
        if (!conn.ready) {
          sink.ready(conn);
          // A still member of a views run (L1) takes its place once joined.
          if (conn.rest && !conn.sender) sendSoon(conn, placeUpdate(conn));
        }
        return;
      case MessageType.WELCOME:
        [, conn.self, , conn.epoch] = unpackr.unpack(payload);
        conn.ownMarker = packr.pack(conn.self); // the MsgPack string, as it appears in entries
        return;
      case MessageType.ERROR:
        sink.error(conn, unpackr.unpack(payload)[1]);
        return;
      default:
        return;
    }
  },
};
