// One simulated participant of `collabblocks dev` (simulator.ts): a socket to
// this very server, joined with a dev token, whose cursor random-walks a step
// every SIM_STEP_MS (± half) on the injected clock. Its view selects nothing but
// itself (PROTOCOL.md §8), so the server sends it no one else's updates.
import { randomBytes } from "node:crypto";
import { encode, encodeViewParam, MessageType, type ViewSpec } from "@collabblocks/protocol";
import WebSocket from "ws";
import type { DevIssuer } from "../edge/dev-issuer.js";
import type { Clock, TimerHandle } from "../ops/clock.js";

/** A participant moves every this many ms (± half), ms: 5 000 of them send 2 500 updates/s. */
export const SIM_STEP_MS = 2000;
/** Largest cursor step per move, as a share of the room's 0–1 space. */
const SIM_STEP = 0.01;
const WS_OPEN = 1;

const ONLY_SELF: ViewSpec = { everyone: false, rect: null, field: "cursor", pinned: [], cap: 0, roster: 0 };
const COLORS = ["#e53935", "#8e24aa", "#3949ab", "#039be5", "#00897b", "#7cb342", "#fdd835", "#fb8c00"];

/** The part of a `ws` WebSocket a bot uses (tests inject a fake). */
export interface SimSocket {
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code: number): void;
  terminate(): void;
  on(event: "close" | "error", listener: () => void): unknown;
  once(event: "open" | "close", listener: () => void): unknown;
}

export interface BotDeps {
  readonly issuer: DevIssuer;
  /** ws://host:port of this server. */
  readonly wsUrl: () => string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly connect: (url: string) => SimSocket;
}

export interface Bot {
  readonly ws: SimSocket;
  x: number;
  y: number;
  timer: TimerHandle | undefined;
}

export function connectSimSocket(url: string): SimSocket {
  return new WebSocket(url, { perMessageDeflate: false });
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));

function send(bot: Bot): void {
  if (bot.ws.readyState !== WS_OPEN) return;
  bot.ws.send(
    encode({ type: MessageType.UPDATE_PRESENCE, set: { cursor: { x: bot.x, y: bot.y } }, del: [] }),
  );
}

/** Moves the bot one random step, sends it, and schedules the next. */
function step(bot: Bot, deps: BotDeps): void {
  bot.x = clamp(bot.x + (deps.random() * 2 - 1) * SIM_STEP);
  bot.y = clamp(bot.y + (deps.random() * 2 - 1) * SIM_STEP);
  send(bot);
  bot.timer = deps.clock.setTimeout(() => step(bot, deps), SIM_STEP_MS * (0.5 + deps.random()));
}

/** Stops the bot's walk (its socket is the caller's). */
export function stopBot(bot: Bot, clock: Clock): void {
  if (bot.timer !== undefined) clock.clearTimeout(bot.timer);
  bot.timer = undefined;
}

/**
 * Mints a token for participant `n` of `room` and opens its socket; `added` is told
 * at once (so caps count joins in flight), `gone` when the socket closes. Resolves
 * once the socket is open and walking, or closed.
 */
export async function joinBot(
  deps: BotDeps,
  room: string,
  n: number,
  added: (bot: Bot) => void,
  gone: (bot: Bot) => void,
): Promise<void> {
  const name = `Sim ${n}`;
  const token = await deps.issuer.issue({
    room,
    user: `sim-${n}-${randomBytes(4).toString("hex")}`,
    info: { name, color: COLORS[n % COLORS.length] as string, simulated: true },
  });
  const url = `${deps.wsUrl()}/v1/rooms/${encodeURIComponent(room)}?token=${encodeURIComponent(token)}&view=${encodeViewParam(ONLY_SELF)}`;
  const bot: Bot = { ws: deps.connect(url), x: deps.random(), y: deps.random(), timer: undefined };
  added(bot);
  bot.ws.on("close", () => gone(bot));
  // An error is followed by close, which removes the bot; nothing else to do.
  bot.ws.on("error", () => {});
  await new Promise<void>((resolve) => {
    bot.ws.once("open", () => {
      send(bot);
      bot.timer = deps.clock.setTimeout(() => step(bot, deps), SIM_STEP_MS * deps.random());
      resolve();
    });
    bot.ws.once("close", () => resolve());
  });
}
