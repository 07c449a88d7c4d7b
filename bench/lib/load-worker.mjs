// One load-generator process (forked by the coordinator): opens its share of the
// connections, sends the senders' cursor updates on schedule, reads every frame,
// and reports counts and HDR histograms over IPC.
//
// Time: shared-clock.mjs, from the base the coordinator passed in.
import * as hdr from "hdr-histogram-js";
import { startReceiver } from "./compiled-receiver.mjs";
import { HISTOGRAM_OPTS } from "./histogram-opts.mjs";
import { PROTOCOLS } from "./protocols/index.mjs";
import { connectRaw } from "./raw-ws.mjs";
import { createSendSchedule } from "./send-schedule.mjs";
import { nowUs, setClockBase } from "./shared-clock.mjs";

/** Connections being prepared or upgraded at once in one process. */
const CONNECT_CONCURRENCY = 64;
/**
 * A connection that has not joined (welcome + snapshot, or the peer's equivalent)
 * by then failed, ms. Generous: joining a room of 10 000 sends each joiner a
 * snapshot of everyone, so the last joins of S3 wait behind O(N²) snapshot bytes.
 */
const READY_TIMEOUT_MS = 180_000;
/** Connect progress report interval, ms. */
const PROGRESS_MS = 10_000;

const state = {
  protocol: null,
  conns: [],
  measuring: false,
  windowStartUs: Number.POSITIVE_INFINITY,
  windowEndUs: Number.POSITIVE_INFINITY,
  latency: hdr.build(HISTOGRAM_OPTS),
  // The slice scenario: updates of the synthetic edge's senders, which came through the pod.
  latencyViaPod: hdr.build(HISTOGRAM_OPTS),
  ack: hdr.build(HISTOGRAM_OPTS),
  sendLag: hdr.build(HISTOGRAM_OPTS),
  // received during the window, all connections
  frames: 0,
  bytes: 0,
  updates: 0, // counted without decoding: one per entry
  probeEntries: 0, // decoded by probes: entries…
  probePatches: 0, // …and the patches they cover (more when coalesced)
  // all time, for drain detection
  seen: 0,
  // probes: updates whose send time is inside the window, with any receive time
  probeDelivered: 0,
  sends: 0,
  sendBytes: 0,
  sendsByRoom: new Map(),
  errors: {},
  unexpectedCloses: 0,
  schedule: null,
  /** `--receiver c`: the compiled receiver holding this worker's counting-only connections. */
  receiver: null,
  base: null,
};

function inWindow(t) {
  return t >= state.windowStartUs && t < state.windowEndUs;
}

const sink = {
  get measuring() {
    return state.measuring;
  },
  ready(conn) {
    conn.ready = true;
    conn.onReady?.();
  },
  cheap(_conn, n) {
    state.seen += n;
    if (inWindow(nowUs())) state.updates += n;
  },
  update(_conn, tUs, n, viaPod = false) {
    const now = nowUs();
    state.seen += n;
    if (inWindow(now)) {
      state.probeEntries += 1;
      state.probePatches += n;
    }
    if (inWindow(tUs)) {
      state.probeDelivered += n;
      // A coalesced update delivers its n patches at once (the earlier ones superseded).
      state.latency.recordValueWithCount(Math.max(1, Math.round(now - tUs)), n);
      if (viaPod) state.latencyViaPod.recordValueWithCount(Math.max(1, Math.round(now - tUs)), n);
    }
  },
  ack(_conn, tUs) {
    const now = nowUs();
    if (inWindow(tUs)) state.ack.recordValue(Math.max(1, Math.round(now - tUs)));
  },
  error(_conn, code) {
    state.errors[code] = (state.errors[code] ?? 0) + 1;
  },
  /** Snapshot bytes a connection received while joining (before the measured window). */
  joinSnapshot(conn, bytes) {
    conn.joinSnapshotBytes = (conn.joinSnapshotBytes ?? 0) + bytes;
  },
};

/** Can the compiled receiver hold this connection? It only counts: no timing, no sends but its joined message. */
function countsOnly(conn) {
  const loopback = conn.host === "127.0.0.1" || conn.host === "localhost"; // all receiver.c connects to
  return state.receiver !== null && loopback && !conn.probe && !conn.sender;
}

/** Settles when the connection joined (conn.onReady) or failed (conn.onFail), or after READY_TIMEOUT_MS. */
function joined(conn) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not ready after ${READY_TIMEOUT_MS / 1000} s`)),
      READY_TIMEOUT_MS,
    );
    conn.onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    conn.onFail = (err) => {
      clearTimeout(timer);
      reject(err);
    };
  });
}

async function openConnection(conn) {
  const protocol = state.protocol;
  if (countsOnly(conn)) return openInReceiver(conn);
  const ready = joined(conn);
  ready.catch(() => {}); // awaited below; this keeps an early upgrade failure from leaving it unhandled
  conn.ws = await connectRaw({
    host: conn.host,
    port: conn.port,
    path: protocol.path(conn),
    onMessage(opcode, payload, wireBytes) {
      if (inWindow(nowUs())) {
        state.frames++;
        state.bytes += wireBytes;
      }
      protocol.onMessage(conn, opcode, payload, sink);
    },
    onClose(reason) {
      if (!conn.closing) {
        state.unexpectedCloses++;
        conn.onFail?.(new Error(reason));
      }
    },
  });
  protocol.onOpen(conn, sink);
  await ready;
  conn.onReady = null;
  conn.onFail = null;
}

/** Opens a counting-only connection in the compiled receiver; resolves once it joined. */
async function openInReceiver(conn) {
  const ready = joined(conn);
  conn.ws = { close() {} }; // the receiver closes its sockets itself (on "close")
  state.receiver.byId.set(conn.gid, conn);
  state.receiver.open(
    conn.gid,
    conn.port,
    state.protocol.path(conn),
    state.protocol.joinedMessage?.(conn) ?? null,
  );
  await ready;
  conn.onReady = null;
  conn.onFail = null;
}

/** What the compiled receiver's connections report, applied as the worker's own would be. */
const receiverEvents = {
  ready(id, snapshotBytes) {
    const conn = state.receiver.byId.get(id);
    if (conn === undefined) return;
    sink.joinSnapshot(conn, snapshotBytes);
    sink.ready(conn);
  },
  failed(id, reason) {
    const conn = state.receiver.byId.get(id);
    if (conn === undefined || conn.closing) return;
    if (conn.ready) state.unexpectedCloses++;
    conn.onFail?.(new Error(reason));
  },
  error(id, code) {
    const conn = state.receiver.byId.get(id);
    if (conn !== undefined) sink.error(conn, code);
  },
};

/** Runs `each` over the connections, CONNECT_CONCURRENCY at a time, until done or `deadlineMs` passes. */
async function inLanes(conns, deadlineMs, each) {
  let next = 0;
  const failures = [];
  const deadline = new Promise((resolve) =>
    setTimeout(resolve, Math.max(0, deadlineMs - Date.now())).unref(),
  );
  const lane = async () => {
    while (next < conns.length && Date.now() < deadlineMs) {
      const conn = conns[next++];
      try {
        await each(conn);
      } catch (err) {
        failures.push(String(err?.message ?? err));
      }
    }
  };
  await Promise.race([Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, lane)), deadline]);
  return failures;
}

/**
 * Gets every connection its credentials (ours: a dev token, which the dev server
 * signs with ES256) before the join clock starts: in production tokens come from
 * the app's own auth server, so minting them is not part of joining a room.
 */
async function prepareAll(specs, ctx, deadlineMs) {
  state.conns = specs.map((s) => ({ ...s, ready: false, closing: false, prepared: false }));
  const failures = await inLanes(state.conns, deadlineMs, async (conn) => {
    await state.protocol.prepare(conn, ctx);
    conn.prepared = true;
  });
  return {
    failed: state.conns.length - state.conns.filter((c) => c.prepared).length,
    firstError: failures[0],
  };
}

/**
 * Opens every prepared connection, CONNECT_CONCURRENCY at a time, until all are
 * joined or `deadlineMs` (Date.now()) passes; reports progress every PROGRESS_MS meanwhile.
 */
async function connectAll(deadlineMs) {
  const progress = setInterval(() => {
    process.send({ type: "connect-progress", ok: state.conns.filter((c) => c.ready).length });
  }, PROGRESS_MS);
  const prepared = state.conns.filter((c) => c.prepared);
  const failures = await inLanes(prepared, deadlineMs, openConnection);
  clearInterval(progress);
  const ok = state.conns.filter((c) => c.ready).length;
  const timedOut = prepared.length - ok - failures.length;
  if (timedOut > 0) failures.push(`${timedOut} not joined by the connect deadline`);
  const unprepared = state.conns.length - prepared.length;
  if (unprepared > 0) failures.push(`${unprepared} got no credentials`);
  return { ok, failed: state.conns.length - ok, firstError: failures[0] };
}

/**
 * Bytes the bench's own send timestamp adds to one update (the same in the sent
 * message and in the delivered one): subtracted for the bytes-per-cursor-update
 * figure. Sized with a timestamp of the window's magnitude and a scratch client.
 */
function timestampBytes(protocol, tUs) {
  const scratch = { gid: 4321, uid: "AAAAAAAAAAAAAAAAAAAAAA", clientId: 4322, clock: 100 };
  const size = (m) => (typeof m === "string" ? Buffer.byteLength(m) : m.length);
  const cursor = { x: 523 / 1280, y: 377 / 720 };
  return (
    size(protocol.encodeUpdate({ ...scratch }, cursor, Math.round(tUs))) -
    size(protocol.encodeUpdate({ ...scratch }, cursor, undefined))
  );
}

function start({ sendStartUs, windowStartUs, windowEndUs, hz }) {
  state.measuring = true;
  state.timestampBytes = timestampBytes(state.protocol.sizing ?? state.protocol, windowStartUs);
  state.windowStartUs = windowStartUs;
  state.windowEndUs = windowEndUs;
  const protocol = state.protocol;
  const senders = state.conns.filter((c) => c.sender && c.ready);
  state.schedule = createSendSchedule({
    senders,
    hz,
    startUs: sendStartUs,
    endUs: windowEndUs,
    nowUs,
    send(conn, cursor, scheduledUs) {
      const t = nowUs();
      const frame = protocol.encodeUpdate(conn, cursor, Math.round(t));
      // ours-e2ee seals asynchronously (WebCrypto): the frame leaves when sealed.
      if (frame instanceof Promise)
        frame.then((f) => counted(conn, t, scheduledUs, conn.ws.send(f, protocol.binary)));
      else counted(conn, t, scheduledUs, conn.ws.send(frame, protocol.binary));
    },
  });
}

/** Counts one send (bytes written) whose timestamp was `t`, scheduled for `scheduledUs`. */
function counted(conn, t, scheduledUs, bytes) {
  if (!inWindow(t)) return;
  state.sends++;
  state.sendBytes += bytes;
  state.sendsByRoom.set(conn.room, (state.sendsByRoom.get(conn.room) ?? 0) + 1);
  conn.sentInWindow = (conn.sentInWindow ?? 0) + 1;
  state.sendLag.recordValue(Math.max(1, Math.round(t - scheduledUs)));
}

function report() {
  const probesByRoom = new Map();
  const connsByRoom = new Map();
  let probeOwnSends = 0;
  for (const c of state.conns) {
    if (!c.ready) continue;
    connsByRoom.set(c.room, (connsByRoom.get(c.room) ?? 0) + 1);
    if (!c.probe) continue;
    probesByRoom.set(c.room, (probesByRoom.get(c.room) ?? 0) + 1);
    probeOwnSends += c.sentInWindow ?? 0;
  }
  const joined = state.conns.filter((c) => c.ready);
  return {
    joinSnapshotBytes: joined.reduce((s, c) => s + (c.joinSnapshotBytes ?? 0), 0),
    joinSnapshotBytesMax: joined.reduce((m, c) => Math.max(m, c.joinSnapshotBytes ?? 0), 0),
    conns: state.conns.filter((c) => c.ready).length,
    frames: state.frames,
    bytes: state.bytes,
    updates: state.updates,
    probeEntries: state.probeEntries,
    probePatches: state.probePatches,
    sends: state.sends,
    sendBytes: state.sendBytes,
    timestampBytes: state.timestampBytes ?? 0,
    sendsByRoom: [...state.sendsByRoom],
    probesByRoom: [...probesByRoom],
    connsByRoom: [...connsByRoom],
    probeOwnSends,
    probeDelivered: state.probeDelivered,
    errors: state.errors,
    unexpectedCloses: state.unexpectedCloses,
    latency: hdr.encodeIntoCompressedBase64(state.latency),
    latencyViaPod: hdr.encodeIntoCompressedBase64(state.latencyViaPod),
    ack: hdr.encodeIntoCompressedBase64(state.ack),
    sendLag: hdr.encodeIntoCompressedBase64(state.sendLag),
  };
}

process.on("message", async (msg) => {
  switch (msg.type) {
    case "prepare": {
      setClockBase(msg.base);
      state.base = msg.base;
      state.protocol = PROTOCOLS[msg.protocol];
      // Only our own protocol's frames are what the compiled receiver parses (receiver.c).
      if (msg.receiver === "c" && msg.protocol.startsWith("ours")) {
        state.receiver = Object.assign(startReceiver(receiverEvents), { byId: new Map() });
      }
      const result = await prepareAll(msg.conns, msg.ctx, msg.deadlineMs);
      process.send({ type: "prepared", ...result, receiverPid: state.receiver?.pid ?? null });
      break;
    }
    case "connect": {
      const result = await connectAll(msg.deadlineMs);
      process.send({ type: "connected", ...result });
      break;
    }
    case "start":
      start(msg);
      state.receiver?.window(state.base, msg.windowStartUs, msg.windowEndUs);
      break;
    case "progress":
      process.send({ type: "progress", seen: state.seen + (state.receiver?.seen() ?? 0) });
      break;
    case "report": {
      state.schedule?.stop();
      const r = report();
      if (state.receiver !== null) {
        const counted = await state.receiver.counts();
        r.frames += counted.frames;
        r.bytes += counted.bytes;
        r.updates += counted.updates;
      }
      process.send({ type: "report", report: r });
      break;
    }
    case "close":
      for (const c of state.conns) {
        c.closing = true;
        c.ws?.close();
      }
      await state.receiver?.close();
      setTimeout(() => process.exit(0), 300);
      break;
  }
});
process.on("disconnect", () => process.exit(0));
