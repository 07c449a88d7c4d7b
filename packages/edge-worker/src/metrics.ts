// What the room objects report (docs/EDGE-WORKERS.md#metrics): one Workers
// Analytics Engine data point per room event that matters to an operator — a
// join, a refusal, a connection's end, an object's start (a wake), a lost pod
// link — written to the optional METRICS binding. Analytics Engine aggregates
// across every object and is queried with SQL, which is what a fleet of Durable
// Objects needs: a Prometheus endpoint per object would describe one room, and
// nothing scrapes objects one by one. Per-message counts are not written (a data
// point per message would cost more than the message); volumes come from
// Cloudflare's own per-object request metrics.
import type { AnalyticsEngineDataset } from "./workers-types.js";

export type RoomEvent =
  /** A socket joined (detail: its plan). */
  | { readonly kind: "join"; readonly plan: string }
  /** A socket was refused (detail: the error code). */
  | { readonly kind: "refused"; readonly code: string }
  /** A connection ended (detail: the end mode; value: how long it lasted, ms). */
  | { readonly kind: "end"; readonly mode: string; readonly lastedMs: number }
  /** The object started: first use or a wake after eviction (value: sockets it found). */
  | { readonly kind: "start"; readonly sockets: number }
  /** The pod's link socket closed. */
  | { readonly kind: "pod-lost" };

/** A data point: index = room (Analytics Engine samples per index), blobs = [event, detail], doubles = [value]. */
export interface DataPoint {
  readonly indexes: [string];
  readonly blobs: [string, string];
  readonly doubles: [number];
}

export function dataPointOf(roomId: string | undefined, event: RoomEvent): DataPoint {
  const [detail, value] =
    event.kind === "join"
      ? [event.plan, 1]
      : event.kind === "refused"
        ? [event.code, 1]
        : event.kind === "end"
          ? [event.mode, event.lastedMs]
          : event.kind === "start"
            ? ["", event.sockets]
            : ["", 1];
  return { indexes: [roomId ?? ""], blobs: [event.kind, detail], doubles: [value] };
}

/** Writes the event when the Worker has a METRICS binding; never throws (metrics must not end a join). */
export function record(
  dataset: AnalyticsEngineDataset | undefined,
  roomId: string | undefined,
  event: RoomEvent,
): void {
  if (dataset === undefined) return;
  try {
    dataset.writeDataPoint(dataPointOf(roomId, event));
  } catch (err) {
    console.warn(JSON.stringify({ msg: "metrics data point dropped", err: (err as Error).message }));
  }
}
