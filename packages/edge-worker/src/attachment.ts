// What the object keeps of each client socket in the socket's attachment
// (docs/EDGE-WORKERS.md#hibernation): everything a Connection (the Node edge's
// edge/connection.ts) holds that is not the room's presence state, so that after
// the object was evicted and woken it rebuilds the same Connection — identity,
// epoch, clock, token expiry, rate-limit buckets — and the rules of
// handleMessage apply as if it had never slept. Presence states live in the
// room's replica, which the object reloads from the pod when it wakes (every
// accepted entry was written to the pod before the object could go idle).
import type { Json } from "@collabblocks/protocol";
import type { Connection } from "@collabblocks/server/portable";
import { MAX_ATTACHMENT_BYTES } from "./config.js";

interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

export interface SocketAttachment {
  readonly v: 1;
  readonly connectionId: string;
  readonly userId: string;
  readonly info: Json | undefined;
  readonly plan: string;
  readonly org: string | undefined;
  readonly tokenExp: number;
  readonly epoch: number;
  readonly clock: number;
  /** Peers have seen this connection's enter (it is no longer deferred, ENTER_DEFER_MS). */
  readonly announced: boolean;
  /** When it joined, ms (the deferred enter is due ENTER_DEFER_MS later). */
  readonly joinedAt: number;
  /** Last message from the client, ms (the silent-socket sweep). */
  readonly lastSeen: number;
  readonly patches: Bucket;
  /** Absent in attachments from before it: a full bucket. */
  readonly patchAverage?: Bucket;
  readonly control: Bucket;
  readonly syncs: Bucket;
  readonly views: Bucket;
  readonly strikes: number;
  readonly strikeWindowStart: number;
  readonly rttLastAt: number;
  /** Protocol revision the client reads (PROTOCOL.md §1 `rev`); absent in attachments from before it: 1. */
  readonly rev?: number;
}

/** Who a connection is: from the token and admission at join, from the attachment after a wake. */
export type ConnectionIdentity = Pick<
  SocketAttachment,
  "connectionId" | "userId" | "info" | "plan" | "org" | "tokenExp" | "epoch" | "rev"
>;

const bucket = (b: Bucket): Bucket => ({ tokens: b.tokens, at: b.at });

/** The attachment of a connection, as of now. */
export function attachmentOf(conn: Connection, joinedAt: number, lastSeen: number): SocketAttachment {
  return {
    v: 1,
    connectionId: conn.connectionId,
    userId: conn.userId,
    info: conn.info,
    plan: conn.plan,
    org: conn.org,
    tokenExp: conn.tokenExp,
    epoch: conn.epoch,
    clock: conn.clock,
    announced: conn.enterTimer === undefined,
    joinedAt,
    lastSeen,
    patches: bucket(conn.patches),
    patchAverage: bucket(conn.patchAverage),
    control: bucket(conn.control),
    syncs: bucket(conn.syncs),
    views: bucket(conn.views),
    strikes: conn.strikes,
    strikeWindowStart: conn.strikeWindowStart,
    rttLastAt: conn.rtt.lastAt,
    rev: conn.rev,
  };
}

/** Puts the mutable fields of an attachment back into a freshly created connection. */
export function restoreInto(conn: Connection, a: SocketAttachment): void {
  conn.clock = a.clock;
  Object.assign(conn.patches, a.patches);
  if (a.patchAverage !== undefined) Object.assign(conn.patchAverage, a.patchAverage);
  Object.assign(conn.control, a.control);
  Object.assign(conn.syncs, a.syncs);
  Object.assign(conn.views, a.views);
  conn.strikes = a.strikes;
  conn.strikeWindowStart = a.strikeWindowStart;
  conn.rtt.lastAt = a.rttLastAt;
}

/**
 * Largest token `info` the object keeps, bytes of JSON: the runtime keeps at most
 * MAX_ATTACHMENT_BYTES per socket, and the rest of the attachment takes about 600.
 * The Node edge allows MAX_STATE_BYTES (docs/EDGE-WORKERS.md#limits-of-this-edge).
 */
export const MAX_INFO_BYTES = MAX_ATTACHMENT_BYTES - 1024;

export function infoFits(info: Json | undefined): boolean {
  return info === undefined || new TextEncoder().encode(JSON.stringify(info)).length <= MAX_INFO_BYTES;
}
