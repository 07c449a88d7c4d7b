// Fatal answers to a socket (PROTOCOL.md §7): the ERROR, written whatever the
// socket's backlog (it is the last frame), then the code's close code.
import { ERRORS, type ErrorCode } from "@collabblocks/protocol";
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import type { Metrics } from "../ops/metrics.js";
import { errorFrame } from "./connection.js";
import { writeFrame } from "./socket-writes.js";

/** Sends a fatal ERROR (counted as a refusal) and closes with the code's close code. */
export function closeWithError(metrics: Metrics, ws: WebSocket, code: ErrorCode, message: string): void {
  metrics.refusal(code);
  writeFrame(ws, errorFrame(code, message));
  ws.close(ERRORS[code].closeCode ?? 1008, code);
}

/** Refuses a socket that never joined. */
export function refuseSocket(
  deps: { readonly metrics: Metrics; readonly logger: Logger },
  ws: WebSocket,
  code: ErrorCode,
  message: string,
): void {
  deps.logger.debug({ code }, "connection refused");
  closeWithError(deps.metrics, ws, code, message);
}
