// The edge's stream to one pod as a state machine (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc),
// apart from gRPC so its timing is unit-tested with a fake clock:
//
//   connecting ──headers──▶ up ──error/end──▶ waiting ──backoff──▶ connecting
//        └──────────error/end─────────────────────▲          (closed: terminal)
//
// Each open is one numbered attempt; events of an attempt that is no longer the
// current one (a late error of a stream already given up) change nothing. The
// wait before re-opening follows POD_RECONNECT_BACKOFF (the protocol's one backoff
// function), counted in failures since the stream was last up.
import { assertNever, type BackoffSchedule, backoffDelay } from "@collabblocks/protocol";
import type { Clock, TimerHandle } from "../ops/clock.js";

/** Delays before re-opening a failed stream, ms; the last one repeats (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc: capped near 2 s). */
export const RECONNECT_BACKOFF_MS: readonly number[] = [100, 250, 500, 1000, 2000];
/** The stream's reconnect schedule: RECONNECT_BACKOFF_MS ± 20 % (the protocol's one backoff function). */
export const POD_RECONNECT_BACKOFF: BackoffSchedule = { delaysMs: RECONNECT_BACKOFF_MS, jitter: 0.2 };

export type PodConnectionState = "connecting" | "up" | "waiting" | "closed";

/** The allowed transitions, from → to. */
export const POD_LINK_TRANSITIONS: Readonly<Record<PodConnectionState, readonly PodConnectionState[]>> = {
  connecting: ["up", "waiting", "closed"],
  up: ["waiting", "closed"],
  waiting: ["connecting", "closed"],
  closed: [],
};

export interface PodLinkStateOptions {
  readonly clock: Clock;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** Opens the stream of attempt `attempt` (the state is connecting). */
  readonly open: (attempt: number) => void;
  /** The current attempt's stream came up. */
  readonly onUp: () => void;
  /** The current attempt's stream went away; the next opens after `delayMs`. */
  readonly onDown: (reason: string, wasUp: boolean, delayMs: number) => void;
}

export interface PodLinkState {
  readonly state: PodConnectionState;
  /** True while `attempt`'s stream is the current one (connecting or up). */
  isCurrent(attempt: number): boolean;
  /** `attempt`'s stream delivered its headers. */
  up(attempt: number): void;
  /** `attempt`'s stream failed or ended. */
  down(attempt: number, reason: string): void;
  /** Terminal: no more opens. Returns whether the stream was up. */
  close(): boolean;
}

/** Starts at once with the first attempt (state connecting). */
export function createPodLinkState(options: PodLinkStateOptions): PodLinkState {
  const { clock } = options;
  const random = options.random ?? Math.random;
  // The first open moves it to connecting like any re-open.
  let state: PodConnectionState = "waiting";
  let attempt = 0;
  /** Failures since the stream was last up: the backoff step. */
  let failures = 0;
  let retryTimer: TimerHandle | undefined;

  const move = (to: PodConnectionState): void => {
    if (!POD_LINK_TRANSITIONS[state].includes(to))
      throw new Error(`pod link: ${state} → ${to} is not allowed`);
    state = to;
  };
  const isCurrent = (a: number): boolean => a === attempt && (state === "connecting" || state === "up");

  const open = (): void => {
    retryTimer = undefined;
    if (state === "closed") return;
    move("connecting");
    options.open(++attempt);
  };

  const machine: PodLinkState = {
    get state() {
      return state;
    },
    isCurrent,
    up(a) {
      if (!isCurrent(a) || state !== "connecting") return;
      move("up");
      failures = 0;
      options.onUp();
    },
    down(a, reason) {
      if (!isCurrent(a)) return;
      const wasUp = state === "up";
      move("waiting");
      const delay = Math.round(backoffDelay(POD_RECONNECT_BACKOFF, failures++, random));
      retryTimer = clock.setTimeout(open, delay);
      options.onDown(reason, wasUp, delay);
    },
    close() {
      switch (state) {
        case "closed":
          return false;
        case "connecting":
        case "up":
        case "waiting": {
          const wasUp = state === "up";
          move("closed");
          if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
          retryTimer = undefined;
          return wasUp;
        }
        default:
          return assertNever(state);
      }
    },
  };
  open();
  return machine;
}
