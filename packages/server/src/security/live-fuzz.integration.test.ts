// Live fuzzing (issue 20): fast-check drives attackers against a real dev server over
// real sockets, next to two honest clients in the same room. After every run:
//  - every frame got the answer PROTOCOL.md promises, in order: a typed ERROR with the
//    code §7 lists (computed by the protocol's own decoder and validators), a PONG, or
//    nothing; a frame over 4 096 bytes closes with 1009 (§2), a refused AUTH token with
//    its code's close code, 51 refusals in 10 s with ABUSIVE_CLIENT;
//  - every frame the server sent decodes with the protocol's decoder;
//  - the honest clients see each other's state exactly as sent, and each attacker's state
//    exactly as its accepted patches made it (§5, §6: a refused patch changes nothing);
//  - /healthz answers, nothing reached the log at error level, nothing was thrown uncaught.
// Reproduce a failure with the printed seed: FC_SEED=<seed> (and FC_PATH=<path> to run
// just the failing case; FC_SHRINK=1 to shrink it, slow on a live server). See README.md.
import {
  type ErrorCode,
  encode,
  jsonEqual,
  MAX_INBOUND_FRAME_BYTES,
  MessageType,
  type PresenceData,
} from "@collabblocks/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ABUSE_MAX_STRIKES } from "../edge/connection.js";
import {
  type Answer,
  type Attacker,
  align,
  connectAttacker,
  createPlan,
  explainBurst,
  type Plan,
  planFrame,
  truncations,
} from "../test-support/fuzz-attacker.js";
import {
  FC_SEED,
  FC_TIMEOUT_MS,
  type FuzzServer,
  fcParams,
  GHOST_GRACE_MS,
  honestPatch,
  startFuzzServer,
} from "../test-support/fuzz-harness.js";
import {
  type AuthKind,
  attackFrame,
  attackStep,
  type Frame,
  type Step,
  updateMessage,
} from "../test-support/hostile-frames.js";
import { writeMsgPack } from "../test-support/msgpack-writer.js";

const attackers: Attacker[] = [];
let fuzz: FuzzServer;

beforeAll(async () => {
  fuzz = await startFuzzServer();
  console.log(`live fuzz: FC_SEED=${FC_SEED}`);
});
afterAll(async () => {
  for (const a of attackers) a.ws.terminate();
  await fuzz?.close();
  console.log(`live fuzz: ${overlongErrors} ERROR frames over the decoder's message bound`);
});

// ---- attackers ----

const tokens = new Map<string, Promise<string>>();
const AUTH_VERDICT: Record<AuthKind, ErrorCode | "accepted"> = {
  junk: "INVALID_TOKEN",
  "jwt-junk": "INVALID_TOKEN",
  "other-room": "ROOM_MISMATCH",
  "other-user": "FORBIDDEN",
  renewal: "accepted",
};
function tokenFor(kind: AuthKind | "join", room: string, user: string): Promise<string> {
  const key = `${kind}|${room}|${user}`;
  let token = tokens.get(key);
  if (token === undefined) {
    const issue = (r: string, u: string) => fuzz.server.devIssuer!.issue({ room: r, user: u });
    if (kind === "junk") token = Promise.resolve("not-a-token");
    else if (kind === "jwt-junk") token = Promise.resolve("eyJhbGciOiJFUzI1NiJ9.e30.c2ln");
    else if (kind === "other-room") token = issue(`${room}-elsewhere`, user);
    else if (kind === "other-user") token = issue(room, `${user}-impostor`);
    else token = issue(room, user);
    tokens.set(key, token);
  }
  return token;
}

/**
 * How an attacker's run ends: a clean close, a dropped socket, or a second connection that
 * resumes its connectionId (with the epoch it asks for, PROTOCOL.md §1) and replaces it.
 */
type Ending =
  | { readonly mode: "close" | "terminate" }
  | { readonly mode: "resume"; readonly epoch: number | undefined };
interface AttackInput {
  readonly steps: readonly Step[];
  readonly ending: Ending;
}
interface Outcome {
  readonly attacker: Attacker;
  readonly plan: Plan;
  /** The states the connection may have ended with, and how many patches each took. */
  readonly candidates: { readonly state: PresenceData; readonly accepted: number }[];
  /**
   * When its first frame was sent (performance.now()): the server cannot have closed it
   * earlier, so a ghost it left is held at least until startedAt + GHOST_GRACE_MS.
   */
  readonly startedAt: number;
}

let barrierT = -1e9;

/** Sends each attacker's steps (round robin), then a PING barrier; returns once each is answered or closed. */
async function attack(room: string, inputs: readonly AttackInput[]): Promise<Outcome[]> {
  const conns = await Promise.all(
    inputs.map(async (_, i) => {
      const attacker = connectAttacker(
        fuzz.server.wsUrl,
        room,
        await tokenFor("join", room, `attacker-${i}`),
      );
      attackers.push(attacker);
      await attacker.ready;
      return { attacker, plan: createPlan() };
    }),
  );
  const startedAt = performance.now();
  const longest = Math.max(...inputs.map((i) => i.steps.length));
  for (let k = 0; k < longest; k++) {
    for (const [i, { attacker, plan }] of conns.entries()) {
      const step = inputs[i]!.steps[k];
      if (step === undefined) continue;
      let frame: Frame;
      let verdict: ErrorCode | "accepted" = "INVALID_TOKEN";
      if (step.kind === "auth") {
        const token = await tokenFor(step.token, room, `attacker-${i}`);
        frame = {
          kind: "binary",
          label: `auth-${step.token}`,
          bytes: encode({ type: MessageType.AUTH, token }),
        };
        verdict = AUTH_VERDICT[step.token];
      } else frame = step.frame;
      if (planFrame(plan, frame, verdict)) attacker.send(frame);
    }
  }
  const t = barrierT--;
  const barrier: Frame = { kind: "binary", label: "barrier", bytes: encode({ type: MessageType.PING, t }) };
  return Promise.all(
    conns.map(async ({ attacker, plan }) => {
      if (planFrame(plan, barrier)) attacker.send(barrier);
      const pong = (a: Answer) => a.kind === "pong" && a.t === t;
      await attacker.waitFor(
        () => !!attacker.closedWith || attacker.answers.some(pong),
        10_000,
        "the barrier",
      );
      if (plan.refusedAuths.length > 0)
        await attacker.waitFor(() => !!attacker.closedWith, 5000, "the close after a refused AUTH");
      if (!attacker.closedWith) {
        const done = () => plan.syncIds.every((id) => attacker.snapshotsDone.includes(id));
        await attacker.waitFor(done, 5000, `snapshots ${plan.syncIds}`);
      }
      return { attacker, plan, candidates: checkAnswers(attacker, plan), startedAt };
    }),
  );
}

/** The answers line up with the plan; returns the states the connection may have ended with. */
function checkAnswers(attacker: Attacker, plan: Plan): Outcome["candidates"] {
  const report = () =>
    `\nframes: ${JSON.stringify(plan.expectations)}\nanswers: ${JSON.stringify(attacker.answers)}\nclosed: ${JSON.stringify(attacker.closedWith)}`;
  expect(attacker.undecodable, `server frames the protocol decoder refuses${report()}`).toEqual([]);
  let answers = attacker.answers;
  const last = answers.at(-1);
  const fatal = last?.kind === "error" && last.fatal ? last : undefined;
  if (fatal) answers = answers.slice(0, -1);
  const range = truncations(plan, attacker.closedWith, fatal);
  if (typeof range === "string") expect.fail(`${range}${report()}`);
  const ends = align(plan.expectations, answers, range);
  if (ends.length === 0) expect.fail(`the answers do not match the frames${report()}`);
  return ends.map((i) => ({ state: plan.states[i]!, accepted: plan.accepted[i]! }));
}

/** Honest peers see exactly what was sent: their own patches, and each attacker's accepted ones. */
async function checkRoom(room: string, outcomes: readonly Outcome[], patch: Record<string, unknown>) {
  // After every attacker's frames were handled: a flush barrier for the room.
  const { a, b } = await fuzz.settleHonest(room, patch);
  for (const outcome of outcomes) {
    const expired = ghostMayHaveExpired(outcome);
    for (const observer of [a, b]) {
      const seen = observer.client.replica.get(outcome.attacker.connectionId!)?.state;
      const ok = allowedState(outcome, seen, {
        resumed: false,
        expired,
        closed: outcome.attacker.closedWith,
      });
      expect(ok, describeSeen(outcome, seen)).toBe(true);
    }
  }
}

const describeSeen = (o: Outcome, seen: PresenceData | undefined) =>
  `attacker state seen ${JSON.stringify(seen)}, candidates ${JSON.stringify(o.candidates)}`;

/** Whether a ghost this attacker left (if any) may have expired by now: the grace period has passed. */
const ghostMayHaveExpired = (o: Outcome) => performance.now() >= o.startedAt + GHOST_GRACE_MS;

/**
 * Whether `seen` (undefined: no entry) may be an attacker's presence: one its accepted
 * patches made. ABUSIVE_CLIENT leaves at once. A socket closed for a frame over the limit
 * or a refused token is a ghost, held for the grace period and then expired (`expired`:
 * the period may be over, on a slow machine). After a resume, an attacker the room no
 * longer held joins afresh: absent, or announced empty after 1 s (PROTOCOL.md §5).
 */
function allowedState(
  o: Outcome,
  seen: PresenceData | undefined,
  { resumed, expired, closed }: { resumed: boolean; expired: boolean; closed: { code: number } | undefined },
): boolean {
  const gone = closed?.code === 4008;
  const lapsed = gone || (closed !== undefined && expired);
  if (seen === undefined) return lapsed || o.candidates.some((c) => c.accepted === 0);
  if (gone && !resumed) return false;
  const afresh = resumed && lapsed && Object.keys(seen).length === 0;
  return afresh || o.candidates.some((c) => jsonEqual(seen, c.state));
}

/**
 * Resumes attackers whose run ends so: the new socket takes the connectionId with epoch
 * max(requested + 1, previous + 1) (§1), the old one (if still open) gets SESSION_REPLACED and
 * 4009 (§7), and the join snapshot and the honest clients show the state the room held.
 */
async function checkResumes(
  room: string,
  outcomes: readonly Outcome[],
  inputs: readonly AttackInput[],
  opened: Attacker[],
) {
  const resumed: {
    outcome: Outcome;
    fresh: Attacker;
    expired: boolean;
    closed: { code: number } | undefined;
  }[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    const ending = inputs[i]!.ending;
    if (ending.mode !== "resume") continue;
    const old = outcome.attacker;
    const cid = old.connectionId!;
    const closed = old.closedWith; // before the resume, which closes an open one with 4009
    const wasOpen = closed === undefined;
    const token = await tokenFor("join", room, `attacker-${i}`);
    const fresh = connectAttacker(fuzz.server.wsUrl, room, token, { cid, epoch: ending.epoch });
    attackers.push(fresh);
    opened.push(fresh);
    await fresh.ready;
    const expired = ghostMayHaveExpired(outcome); // the admission was before now
    expect(fresh.connectionId).toBe(cid);
    expect(fresh.epoch).toBe(Math.max((ending.epoch ?? 0) + 1, old.epoch + 1));
    if (wasOpen) {
      await old.waitFor(() => !!old.closedWith, 5000, "the replaced socket to close");
      expect(old.closedWith?.code).toBe(4009);
      expect(old.answers.at(-1)).toMatchObject({ kind: "error", code: "SESSION_REPLACED", fatal: true });
    }
    const own = fresh.joinSnapshot.find((p) => p.connectionId === cid);
    const ownOk = allowedState(outcome, own?.state, { resumed: true, expired, closed });
    expect(ownOk, `own entry: ${describeSeen(outcome, own?.state)}`).toBe(true);
    // §5: the reconnect re-enters at once with the new epoch, clock 0 and the state held.
    if (own) expect([own.epoch, own.clock], "own entry's version").toEqual([fresh.epoch, 0]);
    resumed.push({ outcome, fresh, expired, closed });
  }
  if (resumed.length === 0) return;
  const { a, b } = await fuzz.settleHonest(room, { status: "after-resume" });
  for (const { outcome, fresh, expired, closed } of resumed) {
    for (const observer of [a, b]) {
      const entry = observer.client.replica.get(fresh.connectionId!);
      const ok = allowedState(outcome, entry?.state, { resumed: true, expired, closed });
      expect(ok, describeSeen(outcome, entry?.state)).toBe(true);
      if (entry) expect([entry.epoch, entry.clock], "the resumed entry's version").toEqual([fresh.epoch, 0]);
    }
  }
}

function end(outcomes: readonly Outcome[], inputs: readonly AttackInput[]): void {
  for (const [i, { attacker }] of outcomes.entries()) {
    if (inputs[i]!.ending.mode === "close") attacker.ws.close(1000);
    else attacker.ws.terminate();
  }
}

/** ERROR frames over the decoder's message bound seen so far (none since error messages quote ≤ 64 characters). */
let overlongErrors = 0;

async function run(room: string, inputs: readonly AttackInput[], patch: Record<string, unknown>) {
  const outcomes = await attack(room, inputs);
  const resumed: Attacker[] = [];
  try {
    for (const { attacker } of outcomes) overlongErrors += attacker.overlongErrors.length;
    expect(overlongErrors, "ERROR frames the SDK could not decode").toBe(0);
    await checkRoom(room, outcomes, patch);
    await checkResumes(room, outcomes, inputs, resumed);
    await fuzz.checkServer();
    return outcomes;
  } finally {
    end(outcomes, inputs); // also after a failure: the last test checks that every room empties
    for (const fresh of resumed) fresh.ws.close(1000);
  }
}

const ending: fc.Arbitrary<Ending> = fc.oneof(
  fc.constantFrom<Ending>({ mode: "close" }, { mode: "terminate" }),
  fc
    .option(fc.oneof(fc.nat({ max: 3 }), fc.constant(999_999_999_999_999)), { nil: undefined })
    .map((epoch): Ending => ({ mode: "resume", epoch })),
);

describe("live fuzz", () => {
  it(
    "answers every hostile frame as the protocol says and keeps the room exact",
    async () => {
      const room = "fuzz-frames";
      await fuzz.honestPair(room);
      await fc.assert(
        fc.asyncProperty(
          fc.array(attackFrame, { minLength: 1, maxLength: 12 }),
          ending,
          honestPatch,
          (frames, end, patch) =>
            run(
              room,
              [{ steps: frames.map((frame) => ({ kind: "frame", frame })), ending: end }],
              patch,
            ).then(() => {}),
        ),
        fcParams(60),
      );
    },
    FC_TIMEOUT_MS,
  );

  it(
    "keeps to the protocol under interleaved sequences of valid, hostile and AUTH messages from 2–3 attackers",
    async () => {
      const room = "fuzz-sequences";
      await fuzz.honestPair(room);
      const input = fc.record({ steps: fc.array(attackStep, { minLength: 1, maxLength: 16 }), ending });
      await fc.assert(
        fc.asyncProperty(fc.array(input, { minLength: 2, maxLength: 3 }), honestPatch, (inputs, patch) =>
          run(room, inputs, patch).then(() => {}),
        ),
        fcParams(50),
      );
    },
    FC_TIMEOUT_MS,
  );

  it(
    "closes an attacker with ABUSIVE_CLIENT after 50 refused frames in a row",
    async () => {
      const room = "fuzz-abuse";
      await fuzz.honestPair(room);
      // Frames refused whatever came before: no rate-limit bucket spent, one error code.
      const refused = attackFrame.filter((f) => {
        const plan = createPlan();
        const spent = () => Object.values(plan.used).some((n) => n > 0);
        return planFrame(plan, f) && plan.expectations[0]?.kind === "error" && !spent();
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(refused, { minLength: 60, maxLength: 60 }),
          honestPatch,
          async (frames, patch) => {
            const [outcome] = await run(
              room,
              [{ steps: frames.map((frame) => ({ kind: "frame", frame })), ending: { mode: "terminate" } }],
              patch,
            );
            expect(outcome!.attacker.closedWith?.code).toBe(4008);
            // One non-fatal refusal for each of the first 50, then ABUSIVE_CLIENT instead of the 51st.
            const answers = outcome!.attacker.answers;
            expect(answers.slice(0, -1).every((x) => x.kind === "error" && !x.fatal)).toBe(true);
            expect(answers.length).toBe(ABUSE_MAX_STRIKES + 1);
            expect(answers.at(-1)).toMatchObject({ code: "ABUSIVE_CLIENT", fatal: true });
          },
        ),
        fcParams(3),
      );
    },
    FC_TIMEOUT_MS,
  );

  it(
    "keeps an attacker's state exact when a burst of patches runs into the rate limit",
    async () => {
      const room = "fuzz-rate";
      const { a, b } = await fuzz.honestPair(room);
      const burst = fc.array(
        updateMessage.filter((u) => encode(u).length <= MAX_INBOUND_FRAME_BYTES),
        { minLength: 6, maxLength: 14 },
      );
      await fc.assert(
        fc.asyncProperty(burst, honestPatch, async (updates, patch) => {
          const token = await tokenFor("join", room, "attacker-0");
          const attacker = connectAttacker(fuzz.server.wsUrl, room, token);
          attackers.push(attacker);
          try {
            await attacker.ready;
            for (const u of updates) attacker.send({ kind: "binary", label: "update", bytes: encode(u) });
            const t = barrierT--;
            attacker.send({ kind: "binary", label: "barrier", bytes: encode({ type: MessageType.PING, t }) });
            const answered = () => attacker.answers.some((x) => x.kind === "pong" && x.t === t);
            await attacker.waitFor(() => answered() || !!attacker.closedWith, 10_000, "the barrier");
            expect(attacker.closedWith).toBeUndefined();
            expect(attacker.undecodable).toEqual([]);
            const errors = attacker.answers.flatMap((x) => (x.kind === "error" ? [x.code] : []));
            await fuzz.settleHonest(room, patch);
            const [seenA, seenB] = [a, b].map((o) => o.client.replica.get(attacker.connectionId!));
            expect([seenA?.clock, seenA?.state], "a and b agree").toEqual([seenB?.clock, seenB?.state]);
            const frames = updates.map((u) => encode(u));
            const ok = explainBurst(frames, errors, seenB && { state: seenB.state, clock: seenB.clock });
            expect(ok, `errors ${JSON.stringify(errors)}, seen ${JSON.stringify(seenB)}`).toBe(true);
          } finally {
            attacker.ws.close(1000);
          }
        }),
        fcParams(25),
      );
    },
    FC_TIMEOUT_MS,
  );

  // Found by this suite and fixed: a MALFORMED_MESSAGE error quoted an unknown type in full,
  // so a 4 080-character type made an ERROR longer than decodeServerMessage accepts (the SDK
  // saw an undecodable frame). Error messages now quote at most 64 characters of input.
  it("sends only ERROR frames the protocol's decoder accepts, even for a frame whose type is a long string", async () => {
    const room = "fuzz-known-bugs";
    const attacker = connectAttacker(fuzz.server.wsUrl, room, await tokenFor("join", room, "attacker-0"));
    attackers.push(attacker);
    await attacker.ready;
    attacker.send({ kind: "binary", label: "long-type", bytes: writeMsgPack(["t".repeat(4080)]) });
    attacker.send({ kind: "binary", label: "barrier", bytes: encode({ type: MessageType.PING, t: 1 }) });
    await attacker.waitFor(() => attacker.answers.some((a) => a.kind === "pong"), 5000, "the barrier");
    expect(attacker.answers[0]).toMatchObject({ kind: "error", code: "MALFORMED_MESSAGE", fatal: false });
    expect(attacker.undecodable).toEqual([]);
    expect(attacker.overlongErrors).toEqual([]);
  });

  it("leaves only the honest clients in every room once the attackers are gone", async () => {
    await fuzz.checkRoomsEmptied();
    await fuzz.checkServer();
  });
});
