// The live server and honest clients the security fuzz suites share (security/README.md):
// a dev server whose pino log is kept in memory, a watch on uncaught exceptions, two
// honest clients per room that publish within the contract's rate, the fast-check
// parameters (FC_SEED, FC_PATH, FC_SHRINK, FC_NUM_RUNS), and the checks made after
// every run: the honest clients see each other exactly, /healthz answers, nothing was
// logged at error level or thrown uncaught.
import { jsonEqual } from "@collabblocks/protocol";
import fc from "fast-check";
import { pino } from "pino";
import { expect } from "vitest";
import { createPresenceServer, type PresenceServer } from "../index.js";
import { connectTestClient, type TestClient } from "./test-client.js";

const DEFAULT_SEED = 20_261_204;

/** FC_SEED (default fixed, so CI runs are repeatable); a bad value is an error that says the fix. */
export const FC_SEED = (() => {
  const raw = process.env.FC_SEED;
  if (raw === undefined || raw === "") return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed))
    throw new Error(`FC_SEED must be an integer (fast-check prints it), got ${raw}`);
  return seed;
})();

/**
 * fast-check parameters; FC_NUM_RUNS=<n> runs every property n times (longer local fuzzing).
 * Keep one file's run under the dev tokens' 10 minutes (DEV_TOKEN_LIFETIME_S; some 500 runs
 * a property): the honest clients do not renew theirs and would be closed with TOKEN_EXPIRED.
 */
export function fcParams(numRuns: number): fc.Parameters<unknown> {
  return {
    seed: FC_SEED,
    numRuns: process.env.FC_NUM_RUNS ? Number(process.env.FC_NUM_RUNS) : numRuns,
    path: process.env.FC_PATH || undefined,
    // Shrinking re-runs the property against the live server many times; off unless asked for.
    endOnFailure: process.env.FC_SHRINK !== "1",
  };
}

/** A property test's timeout, ms: a minute, plus a second a run when FC_NUM_RUNS asks for more. */
export const FC_TIMEOUT_MS = 60_000 + (Number(process.env.FC_NUM_RUNS) || 0) * 1000;

/** Honest clients keep under the contract's 20 patches/s: one patch per this many ms at most. */
const HONEST_SPACING_MS = 60;
/** How long a dropped attacker stays visible (default 2 × heartbeat: 4 s); short, so the final check is quick. */
export const GHOST_GRACE_MS = 1500;

export interface Honest {
  readonly client: TestClient;
  lastSent: number;
}
export interface HonestPair {
  readonly a: Honest;
  readonly b: Honest;
}
export const cidOf = (h: Honest) => h.client.welcome!.connectionId;

/** A patch an honest client sends: valid values; an undefined `note` deletes it. */
export const honestPatch = fc.record(
  {
    cursor: fc.option(
      fc.record({
        x: fc.double({ min: 0, max: 1, noNaN: true }),
        y: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    ),
    status: fc.option(fc.string({ maxLength: 64 })),
    note: fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 20 }),
      fc.array(fc.integer(), { maxLength: 4 }),
    ),
  },
  { requiredKeys: ["status"] },
);

export interface FuzzServer {
  readonly server: PresenceServer;
  honestPair(room: string): Promise<HonestPair>;
  /**
   * `a` publishes `patch` and `b` a status, then both must see each other (and `a` itself) exactly
   * as sent, with no error. Everything published in the room before is then in both replicas.
   */
  settleHonest(room: string, patch: Record<string, unknown>): Promise<HonestPair>;
  /** /healthz answers 200; no error-level log line; no uncaught exception. */
  checkServer(): Promise<void>;
  /** Waits until every room's honest clients hold only each other. */
  checkRoomsEmptied(): Promise<void>;
  close(): Promise<void>;
}

export async function startFuzzServer(): Promise<FuzzServer> {
  const logLines: string[] = [];
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on("uncaughtException", onUncaught);
  const logger = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
  const server = await createPresenceServer({ auth: "dev", port: 0, logger, ghostGraceMs: GHOST_GRACE_MS });
  const pairs = new Map<string, HonestPair>();
  let statusSeq = 0;

  const publish = async (h: Honest, partial: Record<string, unknown>) => {
    const wait = h.lastSent + HONEST_SPACING_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    h.client.update(partial);
    h.lastSent = performance.now();
  };
  const honestPair = async (room: string): Promise<HonestPair> => {
    let pair = pairs.get(room);
    if (pair) return pair;
    const join = async (user: string): Promise<Honest> => {
      const token = await server.devIssuer!.issue({ room, user });
      const client = connectTestClient({ url: server.wsUrl, room, token });
      await client.ready;
      return { client, lastSent: 0 };
    };
    pair = { a: await join("honest-a"), b: await join("honest-b") };
    pairs.set(room, pair);
    return pair;
  };

  return {
    server,
    honestPair,
    async settleHonest(room, patch) {
      const pair = await honestPair(room);
      const { a, b } = pair;
      await publish(a, patch);
      await publish(b, { status: `b-${statusSeq++}` });
      const sees = (o: Honest, h: Honest) => jsonEqual(o.client.replica.get(cidOf(h))?.state, h.client.local);
      await b.client.waitFor(() => sees(b, a), 5000, "b to see a's state");
      await a.client.waitFor(() => sees(a, b) && sees(a, a), 5000, "a to see b's state and its own");
      expect([...a.client.errors, ...b.client.errors], "errors sent to honest clients").toEqual([]);
      return pair;
    },
    async checkServer() {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const errors = logLines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
      expect(errors, "error-level log lines").toEqual([]);
      expect(uncaught, "uncaught exceptions").toEqual([]);
    },
    async checkRoomsEmptied() {
      for (const { a, b } of pairs.values()) {
        const only = (o: Honest) =>
          [...o.client.replica.peers()].every((p) => [cidOf(a), cidOf(b)].includes(p.connectionId));
        await a.client.waitFor(() => only(a), GHOST_GRACE_MS + 5000, "a's room to hold only a and b");
        await b.client.waitFor(() => only(b), GHOST_GRACE_MS + 5000, "b's room to hold only a and b");
        expect(b.client.replica.get(cidOf(a))?.state).toEqual(a.client.local);
      }
    },
    async close() {
      for (const { a, b } of pairs.values()) for (const h of [a, b]) h.client.terminate();
      await server.close();
      process.off("uncaughtException", onUncaught);
    },
  };
}
