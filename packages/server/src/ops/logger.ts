// Structured JSON logs (pino) on stderr, so that stdout carries only the one
// "listening" line a supervisor or test parses. Tokens and presence contents are
// never passed to the logger; the redact list is a second line of defence.
import { type LevelWithSilent, type Logger, pino } from "pino";

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

export function createLogger(level: LevelWithSilent = "info"): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: ["token", "*.token", "req.url", "state", "*.state", "set", "*.set"],
        censor: "[redacted]",
      },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that drops everything (tests, embedding). */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
