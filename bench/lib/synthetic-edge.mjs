// The rest of the room, for the S3 slice scenario (docs/BENCHMARKS.md#s3-slice): a
// bench process that opens the pod's gRPC link exactly as an edge does — the server
// package's own edge link (packages/server/dist/rpc/grpc-link.js: the same stream,
// write batching and keepalive as `collabblocks edge`) — attaches the room, enters
// `members` connections that have no socket, and sends the updates of the senders
// that live on it at the scenario's rate, each carrying the send timestamp the
// probes use. So the measured edge gets the whole room's traffic through the real
// pod path while holding only its slice of the connections.
//
// Forked by the coordinator (run-target.mjs); messages as load-worker.mjs:
// init → attached, start, progress → progress, report → report, close.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createSendSchedule } from "./send-schedule.mjs";
import { nowUs, setClockBase } from "./shared-clock.mjs";
import { SYNTHETIC_PREFIX, syntheticId } from "./synthetic-ids.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const GRPC_LINK = path.join(ROOT, "packages/server/dist/rpc/grpc-link.js");
/** Enters written per event-loop turn (the link batches a turn's writes into Write frames of 100). */
const ENTERS_PER_TURN = 500;
/** How long the pod link may take to come up, and the pod to hold every member, ms. */
const ATTACH_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const turn = () => new Promise((r) => setImmediate(r));

const state = {
  link: null,
  room: null,
  members: [],
  schedule: null,
  windowStartUs: Number.POSITIVE_INFINITY,
  windowEndUs: Number.POSITIVE_INFINITY,
  sends: 0,
  // Entries the pod forwarded from the measured edge (its real senders and joins), all time.
  received: 0,
};

async function until(what, ok) {
  const deadline = Date.now() + ATTACH_TIMEOUT_MS;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`synthetic edge: ${what} after ${ATTACH_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

/** Opens the link, attaches the room and enters every member; resolves once the pod holds them all. */
async function attach({ pod, room, members, senders, edgeId }) {
  const { createGrpcEdgeLink } = await import(pathToFileURL(GRPC_LINK).href);
  const link = createGrpcEdgeLink({ pods: [pod], edgeId });
  state.link = link;
  state.room = room;
  await until("no pod link", () => link.ready);
  link.attach(room, {
    onEntries(entries) {
      state.received += entries.length;
    },
  });
  state.members = Array.from({ length: members }, (_, i) => ({
    connectionId: syntheticId(i),
    epoch: 1,
    clock: 0,
    sender: i < senders,
    ws: { closed: false }, // what the send schedule checks
  }));
  for (let i = 0; i < members; i += ENTERS_PER_TURN) {
    for (const m of state.members.slice(i, i + ENTERS_PER_TURN)) {
      link.write(room, [
        {
          kind: "enter",
          connectionId: m.connectionId,
          userId: `bench-${m.connectionId}`,
          info: undefined,
          epoch: m.epoch,
          clock: 0,
          state: {},
        },
      ]);
    }
    await turn();
  }
  // The pod's snapshot counts every member once it applied them all (and the measured edge's, if any).
  await until("the pod does not hold every member", async () => {
    const peers = await link.syncRequest(room);
    return peers.filter((p) => p.connectionId.startsWith(SYNTHETIC_PREFIX)).length >= members;
  });
}

function start({ sendStartUs, windowStartUs, windowEndUs, hz }) {
  state.windowStartUs = windowStartUs;
  state.windowEndUs = windowEndUs;
  state.schedule = createSendSchedule({
    senders: state.members.filter((m) => m.sender),
    hz,
    startUs: sendStartUs,
    endUs: windowEndUs,
    nowUs,
    send(m, cursor) {
      const t = Math.round(nowUs());
      const base = m.clock;
      m.clock += 1;
      // An edge writes each update as it sequences it; the link sends a turn's writes as one frame.
      state.link.write(state.room, [
        {
          kind: "update",
          connectionId: m.connectionId,
          epoch: m.epoch,
          base,
          clock: m.clock,
          set: { cursor, t },
          del: [],
        },
      ]);
      if (t >= state.windowStartUs && t < state.windowEndUs) state.sends++;
    },
  });
}

process.on("message", async (msg) => {
  switch (msg.type) {
    case "init":
      setClockBase(msg.base);
      try {
        await attach(msg);
        process.send({ type: "attached", ok: true });
      } catch (err) {
        process.send({ type: "attached", ok: false, error: String(err?.message ?? err) });
      }
      break;
    case "start":
      start(msg);
      break;
    case "progress":
      process.send({ type: "progress", seen: 0 });
      break;
    case "report":
      state.schedule?.stop();
      process.send({
        type: "report",
        report: {
          room: state.room,
          members: state.members.length,
          senders: state.members.filter((m) => m.sender).length,
          sends: state.sends,
          received: state.received,
        },
      });
      break;
    case "close":
      state.schedule?.stop();
      state.link?.close();
      setTimeout(() => process.exit(0), 300);
      break;
  }
});
process.on("disconnect", () => process.exit(0));
