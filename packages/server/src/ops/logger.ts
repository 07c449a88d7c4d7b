// Structured logs (pino) on stderr, so that stdout carries only the one
// "listening" line a supervisor or test parses. Tokens and presence contents are
// never passed to the logger; the redact list is a second line of defence.
import { type LevelWithSilent, type Logger, pino } from "pino";
import pinoPretty from "pino-pretty";

export const LOG_LEVELS: readonly LevelWithSilent[] = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
];

export function isLogLevel(value: string): value is LevelWithSilent {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * JSON on stderr; on a terminal (stderr is a TTY) human-readable lines through
 * pino-pretty instead, unless COLLABBLOCKS_LOG_FORMAT=json. Supervisors, containers
 * and tests get JSON because their stderr is not a terminal.
 */
export function createLogger(level: LevelWithSilent = "info", pretty = prettyByDefault()): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    redact: {
      paths: ["token", "*.token", "req.url", "state", "*.state", "set", "*.set"],
      censor: "[redacted]",
    },
  };
  if (pretty) {
    return pino(
      options,
      pinoPretty({ destination: 2, sync: true, ignore: "pid,hostname", translateTime: "HH:MM:ss" }),
    );
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

/** Pretty when stderr is a terminal and COLLABBLOCKS_LOG_FORMAT is not `json`. */
export function prettyByDefault(
  env: NodeJS.ProcessEnv = process.env,
  tty = process.stderr.isTTY === true,
): boolean {
  if (env.COLLABBLOCKS_LOG_FORMAT === "json") return false;
  if (env.COLLABBLOCKS_LOG_FORMAT === "pretty") return true;
  return tty;
}

/** A logger that drops everything (tests, embedding). */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
