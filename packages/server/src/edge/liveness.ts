// Liveness (docs/ARCHITECTURE.md#the-edge): every connection is pinged every
// heartbeatMs and expires after two pings without a pong. Only pongs count: a
// client that sends but never reads is not alive (docs/SECURITY.md#memory), and
// its pings queue behind what it has not read. The same walk closes a socket
// that holds more than SOCKET_BUFFER_LIMIT_BYTES. The sockets are spread over HEARTBEAT_SLICES ticks of
// the interval: pinging 10 000 sockets in one loop stalled the event loop ~100 ms
// every 2 s (S5 benchmark p95 103 ms at 0.2 Hz, docs/BENCHMARKS.md). Each slice
// keeps its own members, so a tick walks only the sockets it pings: walking every
// socket to find a twentieth of them was 6 % of the busy core in L1's steady state
// (10 000 sockets, 10 walks a second).
// A ping is owed at its slice's tick and rides the next frame written to the
// socket (socket-writes.ts writeFramed); only one still owed pingRideSlices()
// ticks later (half the interval) is written on its own. A ping of its own is a
// write syscall, and a pong to read, per socket every 2 s: in L1's join storm
// 41 000 of the 220 000 writes were pings, and busy sockets get a frame well
// within a second anyway. Expiry is decided at the same ticks as before, so the
// bound below holds; a live client's pong has a second less to come back in.
import type { Clock, TimerHandle } from "../ops/clock.js";
import { SOCKET_BUFFER_LIMIT_BYTES } from "./socket-writes.js";

/** Ticks per heartbeat interval over which pings are spread (2 s / 20 = one tick per 100 ms). */
export const HEARTBEAT_SLICES = 20;
/** An owed ping is written on its own this many ticks after it fell due (half the interval), unless a frame took it. */
export function pingRideSlices(slices: number): number {
  return Math.floor(slices / 2);
}
/** Pings without an answer after which a connection is dead. */
export const MAX_MISSED_PONGS = 2;

/**
 * How long after its last sign of life a dead connection is expired at the latest,
 * ms: MAX_MISSED_PONGS unanswered pings, then the next tick. The Durable Object edge
 * holds its text keepalives to the same bound (docs/EDGE-WORKERS.md#hibernation).
 */
export function livenessBoundMs(heartbeatMs: number): number {
  return (MAX_MISSED_PONGS + 1) * heartbeatMs;
}

/** What liveness needs of a connection. */
export interface LiveMember {
  /** Which tick of the interval pings it (assigned round-robin). */
  heartbeatSlice: number;
  /** Pings owed or sent since the last pong. */
  missedPongs: number;
  /** A ping is owed and not yet written: the next raw frame to the socket carries it. */
  pingOwed: boolean;
  readonly ws: { ping(): void; readonly bufferedAmount: number };
}

export interface LivenessOptions<M extends LiveMember> {
  readonly heartbeatMs: number;
  readonly clock: Clock;
  /**
   * Is an assigned member still a live connection? One that is not (it ended) is
   * forgotten when its slice next comes round, so nobody has to tell liveness.
   */
  readonly isLive: (member: M) => boolean;
  /** Sends the member a ping (default `member.ws.ping()`). */
  readonly ping?: (member: M) => void;
  /** A member that missed its pongs: ended after the walk (ending one changes the member lists). */
  readonly expire: (member: M) => void;
  /** A member holding more than SOCKET_BUFFER_LIMIT_BYTES unsent: ended after the walk. */
  readonly overflow: (member: M) => void;
}

export interface Liveness<M extends LiveMember> {
  /** Puts a new member in the next slice, round-robin, so slices stay even (once per member). */
  assign(member: M): void;
  stop(): void;
}

export function createLiveness<M extends LiveMember>(options: LivenessOptions<M>): Liveness<M> {
  const { heartbeatMs, clock, isLive } = options;
  const ping = options.ping ?? ((m: M) => m.ws.ping());
  const count = Math.max(1, Math.min(HEARTBEAT_SLICES, Math.floor(heartbeatMs / 10)));
  const slices = Array.from({ length: count }, () => new Set<M>());
  const ride = pingRideSlices(count);
  let nextSlice = 0;
  let tick = 0;
  const timer: TimerHandle = clock.setInterval(() => {
    // Pings owed `ride` ticks ago that no frame took go out on their own.
    if (ride > 0)
      for (const m of slices[(tick - ride + count) % count] as Set<M>) {
        if (m.pingOwed && isLive(m)) {
          m.pingOwed = false;
          ping(m);
        }
      }
    const slice = slices[tick++ % count] as Set<M>;
    const dead: M[] = [];
    const stuck: M[] = [];
    for (const m of slice) {
      if (!isLive(m))
        slice.delete(m); // deleting the entry being visited is safe
      else if (m.ws.bufferedAmount > SOCKET_BUFFER_LIMIT_BYTES) stuck.push(m);
      else if (m.missedPongs >= MAX_MISSED_PONGS) dead.push(m);
      else {
        m.missedPongs++;
        if (ride > 0) m.pingOwed = true;
        else ping(m);
      }
    }
    for (const m of stuck) options.overflow(m);
    for (const m of dead) options.expire(m);
  }, heartbeatMs / count);
  return {
    assign(member) {
      member.heartbeatSlice = nextSlice++ % count;
      slices[member.heartbeatSlice]?.add(member);
    },
    stop() {
      clock.clearInterval(timer);
      for (const slice of slices) slice.clear();
    },
  };
}
