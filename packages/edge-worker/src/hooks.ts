// The hooks through which the Node edge's handleMessage (edge/connection.ts) acts
// on a connection of the room object, and workerd's timers and clock: replies and
// errors go straight to the socket (Workers expose no bufferedAmount), failures end
// the connection the object's way, renewals re-check the token with the isolate's
// verifier, and the stall allowance comes from the Node edge's stall monitor, run
// only while patches arrive.
import { type Json, RTT_BUCKETS_MS } from "@collabblocks/protocol";
import {
  type Connection,
  type ConnectionHooks,
  createStallMonitor,
  type EndMode,
  errorFrame,
  type FlushTimers,
  type StallMonitor,
} from "@collabblocks/server/portable";
import { type Env, STALL_MONITOR_IDLE_MS } from "./config.js";
import { verifierFor } from "./verifier.js";
import type { WorkerSocket } from "./workers-types.js";

/** workerd has no setImmediate without nodejs_compat's; a 0 ms timeout runs after the current event. */
export const WORKERS_FLUSH_TIMERS: FlushTimers = {
  setImmediate: (fn) => setTimeout(fn, 0),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearImmediate: (h) => clearTimeout(h as number),
  clearTimeout: (h) => clearTimeout(h as number),
};

/** The Clock of the Node edge's parts (ops/clock.ts), on workerd's timers. */
export const WORKERS_CLOCK = {
  now: () => Date.now(),
  setTimeout: (cb: () => void, ms: number) => setTimeout(cb, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as number),
  setInterval: (cb: () => void, ms: number) => setInterval(cb, ms),
  clearInterval: (h: unknown) => clearInterval(h as number),
};

/** What the hooks need of the room object (room-object.ts). */
export interface HookedRoom {
  readonly env: Env;
  readonly roomId: string | undefined;
  end(
    conn: Connection,
    mode: EndMode,
    code?: Parameters<ConnectionHooks["sendError"]>[1],
    message?: string,
  ): void;
  save(conn: Connection): void;
  /** Relays an accepted BROADCAST (PROTOCOL.md §9). */
  broadcast(conn: Connection, event: Json): void;
  armAlarm(): Promise<void>;
}

export function createHooks(room: HookedRoom): ConnectionHooks {
  const reply = (conn: Connection, frame: Uint8Array) => (conn.ws as unknown as WorkerSocket).send(frame);
  let stalls: StallMonitor | undefined;
  let lastPatchAt = 0;
  /** How late the object recently ran; the monitor's 50 ms timer would keep a quiet room awake. */
  const stallMs = (): number => {
    lastPatchAt = Date.now();
    stalls ??= createStallMonitor({
      now: () => Date.now(),
      setInterval: (tick, ms) =>
        setInterval(() => {
          if (Date.now() - lastPatchAt <= STALL_MONITOR_IDLE_MS) return tick();
          stalls?.stop();
          stalls = undefined;
        }, ms),
      clearInterval: (h) => clearInterval(h as number),
    });
    return stalls.recentStallMs();
  };
  return {
    now: () => Date.now(),
    clock: WORKERS_CLOCK,
    stallMs,
    reply,
    sendError: (conn, code, message) => reply(conn, errorFrame(code, message)),
    fail: (conn, code, message, mode) => room.end(conn, mode, code, message),
    renew: (conn, token) => {
      verifierFor(room.env)
        .verify(token, room.roomId ?? "")
        .then((result) => {
          if (conn.ended !== undefined) return;
          if (!result.ok) room.end(conn, "ghost", result.code, `renewal refused: ${result.message}`);
          else if (result.claims.sub !== conn.userId)
            room.end(conn, "ghost", "FORBIDDEN", "renewal is for another user");
          else {
            conn.tokenExp = result.claims.exp;
            conn.plan = result.claims.plan;
            conn.org = result.claims.org;
            room.save(conn);
            void room.armAlarm();
          }
        });
    },
    observeRtt: (counts) => counts.length === RTT_BUCKETS_MS.length + 1,
    onAccepted: () => {},
    onRateLimited: () => {},
    broadcast: (conn, event) => room.broadcast(conn, event),
  };
}
