// Simulated participants for `collabblocks dev` (the demo's "big room" mode):
// real WebSocket clients of this very server, with dev tokens, so a newcomer sees
// thousands of people in a room on a laptop — through the same auth, rate limits,
// views and fan-out as real users. Each one is a bot (sim-bot.ts) whose view
// selects only itself, so it costs its sends, not N² receives.
import type { DevIssuer } from "../edge/dev-issuer.js";
import type { Clock } from "../ops/clock.js";
import { type Bot, type BotDeps, connectSimSocket, joinBot, type SimSocket, stopBot } from "./sim-bot.js";

export { SIM_STEP_MS } from "./sim-bot.js";

/** Most simulated participants per room, and per process (each is two sockets in this process). */
export const MAX_SIMULATED_PER_ROOM = 5000;
export const MAX_SIMULATED = 8000;
/** Most added by one request. */
export const MAX_SIMULATED_PER_REQUEST = 1000;
/** Joins in flight at once (each mints a token and upgrades a socket). */
const JOIN_CONCURRENCY = 32;

export interface SimulatorOptions {
  readonly issuer: DevIssuer;
  /** ws://host:port of this server, known once it listens. */
  readonly wsUrl: () => string;
  readonly clock: Clock;
  readonly random?: () => number;
  /** Opens a bot's socket (default: a `ws` WebSocket). */
  readonly connect?: (url: string) => SimSocket;
}

export interface Simulator {
  /** Adds up to `count` participants to `room` (bounded by the caps); resolves with the room's total. */
  add(room: string, count: number): Promise<number>;
  /** Removes every simulated participant of `room` (they leave, close 1000). */
  clear(room: string): number;
  count(room: string): number;
  close(): void;
}

/** How many of `count` one request may add, given the room's and the process's participants. */
export function admissible(count: number, inRoom: number, total: number): number {
  return Math.max(
    0,
    Math.min(
      Math.floor(count),
      MAX_SIMULATED_PER_REQUEST,
      MAX_SIMULATED_PER_ROOM - inRoom,
      MAX_SIMULATED - total,
    ),
  );
}

export function createSimulator(options: SimulatorOptions): Simulator {
  const deps: BotDeps = {
    issuer: options.issuer,
    wsUrl: options.wsUrl,
    clock: options.clock,
    random: options.random ?? Math.random,
    connect: options.connect ?? connectSimSocket,
  };
  const rooms = new Map<string, Set<Bot>>();
  let total = 0;
  let serial = 0;

  const added = (room: string, bot: Bot): void => {
    const set = rooms.get(room) ?? new Set<Bot>();
    rooms.set(room, set);
    set.add(bot);
    total++;
  };
  const remove = (room: string, bot: Bot): void => {
    const set = rooms.get(room);
    if (set?.delete(bot)) total--;
    if (set?.size === 0) rooms.delete(room);
    stopBot(bot, deps.clock);
  };
  /** Ends every bot of `room` with `end`; returns how many there were. */
  const endAll = (room: string, end: (bot: Bot) => void): number => {
    const bots = [...(rooms.get(room) ?? [])];
    for (const bot of bots) {
      remove(room, bot);
      end(bot);
    }
    return bots.length;
  };

  return {
    async add(room, count) {
      const n = admissible(count, rooms.get(room)?.size ?? 0, total);
      let next = 0;
      const lane = async () => {
        while (next < n) {
          next++;
          await joinBot(
            deps,
            room,
            ++serial,
            (bot) => added(room, bot),
            (bot) => remove(room, bot),
          );
        }
      };
      await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, n) }, lane));
      return rooms.get(room)?.size ?? 0;
    },
    clear: (room) => endAll(room, (bot) => bot.ws.close(1000)),
    count: (room) => rooms.get(room)?.size ?? 0,
    close() {
      for (const room of [...rooms.keys()]) endAll(room, (bot) => bot.ws.terminate());
    },
  };
}
