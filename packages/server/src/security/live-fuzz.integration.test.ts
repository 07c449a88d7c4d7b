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
import { type ErrorCode, encode, jsonEqual, MessageType, type PresenceData } from "@collabblocks/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ABUSE_MAX_STRIKES } from "../edge/connection.js";
import {
  type Answer,
  type Attacker,
  align,
  connectAttacker,
  createPlan,
  type Plan,
  planFrame,
  truncations,
} from "../test-support/fuzz-attacker.js";
import {
  FC_SEED,
  FC_TIMEOUT_MS,
  type FuzzServer,
  fcParams,
  honestPatch,
  startFuzzServer,
} from "../test-support/fuzz-harness.js";
import {
  type AuthKind,
  attackFrame,
  attackStep,
  type Frame,
  type Step,
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
  console.log(`live fuzz: ${overlongErrors} ERROR frames over the decoder's message bound (known bug)`);
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

type CloseMode = "close" | "terminate";
interface AttackInput {
  readonly steps: readonly Step[];
  readonly closeMode: CloseMode;
}
interface Outcome {
  readonly attacker: Attacker;
  readonly plan: Plan;
  /** The states the connection may have ended with, and how many patches each took. */
  readonly candidates: { readonly state: PresenceData; readonly accepted: number }[];
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
      return { attacker, plan, candidates: checkAnswers(attacker, plan) };
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
  for (const { attacker, candidates } of outcomes) {
    const cid = attacker.connectionId!;
    const gone = attacker.closedWith?.code === 4008; // ABUSIVE_CLIENT leaves at once
    // Closed for a frame over the limit or a refused token: a ghost, visible for the grace
    // period and then expired, so absence is no evidence against it on a slow machine.
    const ghost = attacker.closedWith !== undefined && !gone;
    for (const observer of [a, b]) {
      const seen = observer.client.replica.get(cid)?.state;
      const ok = gone
        ? seen === undefined
        : seen === undefined
          ? ghost || candidates.some((c) => c.accepted === 0)
          : candidates.some((c) => jsonEqual(seen, c.state));
      expect(
        ok,
        `attacker state seen ${JSON.stringify(seen)}, candidates ${JSON.stringify(candidates)}`,
      ).toBe(true);
    }
  }
}

function end(outcomes: readonly Outcome[], inputs: readonly AttackInput[]): void {
  for (const [i, { attacker }] of outcomes.entries()) {
    if (inputs[i]!.closeMode === "close") attacker.ws.close(1000);
    else attacker.ws.terminate();
  }
}

/** ERROR frames over the decoder's message bound seen so far (the known bug below). */
let overlongErrors = 0;

async function run(room: string, inputs: readonly AttackInput[], patch: Record<string, unknown>) {
  const outcomes = await attack(room, inputs);
  try {
    for (const { attacker } of outcomes) overlongErrors += attacker.overlongErrors.length;
    await checkRoom(room, outcomes, patch);
    await fuzz.checkServer();
    return outcomes;
  } finally {
    end(outcomes, inputs); // also after a failure: the last test checks that every room empties
  }
}

const closeMode = fc.constantFrom<CloseMode>("close", "terminate");

describe("live fuzz", () => {
  it(
    "answers every hostile frame as the protocol says and keeps the room exact",
    async () => {
      const room = "fuzz-frames";
      await fuzz.honestPair(room);
      await fc.assert(
        fc.asyncProperty(
          fc.array(attackFrame, { minLength: 1, maxLength: 12 }),
          closeMode,
          honestPatch,
          (frames, mode, patch) =>
            run(
              room,
              [{ steps: frames.map((frame) => ({ kind: "frame", frame })), closeMode: mode }],
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
      const input = fc.record({ steps: fc.array(attackStep, { minLength: 1, maxLength: 16 }), closeMode });
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
              [{ steps: frames.map((frame) => ({ kind: "frame", frame })), closeMode: "terminate" }],
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

  // Known bug, found by this suite: a MALFORMED_MESSAGE error quotes an unknown type in
  // full ("unknown client message type <type>", decodeClientMessage in the protocol's
  // codec.ts). A type string of 4 069 characters or more (the frame stays ≤ 4 096 bytes)
  // makes the ERROR's message longer than the 4 096 characters decodeServerMessage accepts,
  // so the SDK reports "undecodable server frame" and resyncs instead of seeing the error.
  // The fuzz properties tolerate exactly this (Attacker.overlongErrors); drop `.fails` and
  // that tolerance once the server bounds the messages it quotes input in.
  it.fails("sends only ERROR frames the protocol's decoder accepts, even for a frame whose type is a long string", async () => {
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
