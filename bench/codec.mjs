#!/usr/bin/env node
// Codec micro-benchmark: bytes of a realistic cursor update, MsgPack (our wire
// form) vs JSON, and encode/decode operations per second. No network.
// Run: npm run bench:codec   (uses the built packages/protocol; `npm run build` first)
import {
  batchFrameFromEntries,
  compactMsgpack,
  decodeClientMessage,
  decodeServerMessage,
  encode,
  encodeBatchEntryRev3,
  MessageType,
  msgpackrBackend,
  useMsgpack,
} from "@collabblocks/protocol";

// Realistic values: pixel ÷ canvas size, as a browser produces them.
const cursor = { x: 523 / 1280, y: 377 / 720 };
const update = { type: MessageType.UPDATE_PRESENCE, set: { cursor }, del: [] };
const jsonUpdate = { type: "update", set: { cursor }, del: [] };
const cid = "Yq3kT0bZq2mXw9aL1cVfEg";
const entries = Array.from({ length: 50 }, (_, i) => ({
  kind: "update",
  connectionId: `${cid.slice(0, 20)}${String(i).padStart(2, "0")}`,
  epoch: 1,
  base: 100 + i,
  clock: 101 + i,
  set: { cursor: { x: (100 + i * 17) / 1280, y: (50 + i * 11) / 720 } },
  del: [],
}));
const batch = { type: MessageType.BATCH, entries };
const jsonBatch = { type: "batch", entries };

function opsPerSec(fn, ms = 500) {
  for (let i = 0; i < 2000; i++) fn(); // warm up
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
    now = process.hrtime.bigint();
  }
  return Math.round((n * 1e9) / Number(now - start));
}

const enc = new TextEncoder();
const updateBytes = encode(update);
const batchBytes = encode(batch);
const updateJson = JSON.stringify(jsonUpdate);
const batchJson = JSON.stringify(jsonBatch);
// Revision 3 (PROTOCOL.md §4): the same batch to a client that reads aliases, the 50 senders
// holding aliases 0–49 (announced earlier), so each entry is a compact move.
const aliasOf = new Map(entries.map((e, i) => [e.connectionId, i]));
const aliases = { announce: (id) => aliasOf.get(id), lookup: (id) => aliasOf.get(id) };
const batchRev3Bytes = batchFrameFromEntries(entries.map((e) => encodeBatchEntryRev3(e, aliases)));
const result = {
  cursorUpdate: {
    msgpackBytes: updateBytes.length,
    jsonBytes: enc.encode(updateJson).length,
    ratio: +(updateBytes.length / enc.encode(updateJson).length).toFixed(3),
  },
  batchOf50PerEntry: {
    msgpackBytes: +(batchBytes.length / 50).toFixed(1),
    jsonBytes: +(enc.encode(batchJson).length / 50).toFixed(1),
    ratio: +(batchBytes.length / enc.encode(batchJson).length).toFixed(3),
  },
  batchOf50PerEntryRev3: {
    msgpackBytes: +(batchRev3Bytes.length / 50).toFixed(1),
    jsonBytes: +(enc.encode(batchJson).length / 50).toFixed(1),
    ratio: +(batchRev3Bytes.length / enc.encode(batchJson).length).toFixed(3),
  },
  // The two MsgPack implementations the codec runs on (protocol msgpack.ts): msgpackr on
  // the server, the compact one in the SDK. They write the same bytes.
  opsPerSecond: Object.fromEntries(
    [
      ["msgpackr", msgpackrBackend],
      ["compact", compactMsgpack],
    ].map(([name, backend]) => {
      useMsgpack(backend);
      return [
        name,
        {
          encodeUpdate: opsPerSec(() => encode(update)),
          decodeUpdate: opsPerSec(() => decodeClientMessage(updateBytes)),
          encodeBatch50: opsPerSec(() => encode(batch)),
          decodeBatch50: opsPerSec(() => decodeServerMessage(batchBytes)),
        },
      ];
    }),
  ),
  json: {
    stringifyUpdate: opsPerSec(() => JSON.stringify(jsonUpdate)),
    parseUpdate: opsPerSec(() => JSON.parse(updateJson)),
  },
};
console.log(JSON.stringify(result, null, 2));
