// A client's join to the room object (PROTOCOL.md §1), in the order of the Node
// edge's edge/join.ts: parse the connect URL, verify the token (refusals still get
// the upgrade, then an ERROR and the code's close), load the room from the pod,
// admit (id, epoch, replacement, room full), then WELCOME, the join snapshot, and
// the enter (at once for a reconnect, deferred for a fresh connection).
import {
  type BatchEntry,
  ERRORS,
  type ErrorCode,
  type PresenceData,
  type PresenceReplica,
  WS_SUBPROTOCOL,
} from "@collabblocks/protocol";
import {
  admit,
  type Connection,
  deriveConnectionId,
  ENTER_DEFER_MS,
  type EndMode,
  errorFrame,
  isDerivedConnectionId,
  parseConnectUrl,
  welcomeFrame,
} from "@collabblocks/server/portable";
import { type ConnectionIdentity, infoFits, MAX_INFO_BYTES } from "./attachment.js";
import {
  DO_HEARTBEAT_MS,
  DO_PROTOCOL_REVISION,
  type Env,
  KEEPALIVE_MS,
  MAX_ROOM_CONNECTIONS,
} from "./config.js";
import { getKnown, rememberKnown } from "./known-store.js";
import { record } from "./metrics.js";
import { verifierFor } from "./verifier.js";
import {
  type DurableObjectState,
  newWebSocketPair,
  upgradeResponse,
  type WorkerSocket,
} from "./workers-types.js";

/** Storage key of what the room remembers of a connection id (its user and last epoch). */

/** What a join needs of the room object (room-object.ts), named here so that the object can import the join. */
export interface JoinableRoom {
  readonly env: Env;
  readonly roomId: string | undefined;
  readonly state: DurableObjectState;
  readonly replica: PresenceReplica;
  remember(roomId: string): Promise<void>;
  loaded(): Promise<void>;
  connections(): Connection[];
  end(conn: Connection, mode: EndMode, code?: ErrorCode, message?: string): void;
  newConnection(ws: WorkerSocket, who: ConnectionIdentity, state: PresenceData): Connection;
  accept(ws: WorkerSocket): void;
  sendSnapshot(conn: Connection, syncId: number): void;
  deferEnter(conn: Connection, ms: number): void;
  publish(entry: BatchEntry): void;
  save(conn: Connection): void;
  armAlarm(): Promise<void>;
}

/** Upgrades, then sends a fatal ERROR and closes with its code (the Node edge's refusal after upgrade). */
function refusal(code: ErrorCode, message: string, protocol: string | undefined): Response {
  const [client, server] = newWebSocketPair();
  server.accept();
  server.send(errorFrame(code, message));
  server.close(ERRORS[code].closeCode ?? 1011, code);
  return upgradeResponse(client, protocol);
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Joins a socket to `room`; without one (the Worker found no valid room id) only the refusal remains. */
export async function join(room: JoinableRoom | undefined, request: Request): Promise<Response> {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("expected a WebSocket upgrade\n", { status: 426 });
  }
  const url = new URL(request.url);
  const offered = request.headers.get("sec-websocket-protocol") ?? undefined;
  // Browsers fail a handshake whose answer names none of the offered subprotocols (PROTOCOL.md §1).
  const protocol = offered?.split(",").some((p) => p.trim() === WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : undefined;
  // Every refusal below is counted (metrics.ts) under the room's id when it is known.
  const refuse = (code: ErrorCode, message: string, p: string | undefined): Response => {
    record(room?.env.METRICS, room?.roomId, { kind: "refused", code });
    return refusal(code, message, p);
  };
  const parsed = parseConnectUrl(url.pathname + url.search, offered);
  if (!parsed.ok) return refuse(parsed.code, parsed.message, protocol);
  if (room === undefined) return refuse("INVALID_ROOM", "roomId must match [A-Za-z0-9._:-]{1,128}", protocol);
  const verified = await verifierFor(room.env).verify(parsed.token, parsed.roomId);
  if (!verified.ok) return refuse(verified.code, verified.message, protocol);
  const claims = verified.claims;
  if (
    parsed.key === undefined &&
    parsed.connectionId !== undefined &&
    isDerivedConnectionId(parsed.connectionId)
  ) {
    return refuse(
      "CONNECTION_ID_TAKEN",
      "a derived connectionId is resumed with its key, not as cid",
      protocol,
    );
  }
  try {
    await room.remember(parsed.roomId);
    await room.loaded();
  } catch (err) {
    return refuse("UNAVAILABLE", `the pod tier is unreachable: ${(err as Error).message}`, protocol);
  }
  const requested =
    parsed.key === undefined ? parsed.connectionId : deriveConnectionId(claims.sub, parsed.key);
  const known = requested === undefined ? undefined : await getKnown(room.state.storage, requested);
  const members = new Map<string, Connection>(room.connections().map((c) => [c.connectionId, c]));
  const admission = admit(
    { replica: room.replica, known: () => known, members },
    { connectionId: requested, epoch: parsed.epoch, userId: claims.sub },
    MAX_ROOM_CONNECTIONS,
    randomId,
  );
  if (!admission.ok) return refuse(admission.code, admission.message, protocol);
  const { connectionId, epoch, peer, replaces } = admission;
  if (replaces) room.end(replaces, "replaced", "SESSION_REPLACED", "the same connectionId connected again");

  if (!infoFits(claims.info)) {
    return refuse(
      "INVALID_TOKEN",
      `info is over ${MAX_INFO_BYTES} bytes, the Workers edge's share of a socket attachment`,
      protocol,
    );
  }
  const [client, server] = newWebSocketPair();
  const { sub: userId, info, plan, org, exp: tokenExp } = claims;
  const rev = Math.min(parsed.rev, DO_PROTOCOL_REVISION); // served at most the revision this edge speaks
  const conn = room.newConnection(
    server,
    { connectionId, userId, info, plan, org, tokenExp, epoch, rev },
    peer?.state ?? {},
  );
  room.accept(server);
  record(room.env.METRICS, room.roomId, { kind: "join", plan: plan ?? "" });
  await rememberKnown(room.state.storage, connectionId, { userId: claims.sub, epoch }, Date.now());
  server.send(welcomeFrame(conn, claims.exp, DO_HEARTBEAT_MS, Date.now(), KEEPALIVE_MS));
  room.sendSnapshot(conn, 0);
  if (peer === undefined) room.deferEnter(conn, ENTER_DEFER_MS);
  else
    room.publish({
      kind: "enter",
      connectionId,
      userId: claims.sub,
      info: claims.info,
      epoch,
      clock: 0,
      state: peer.state,
    });
  room.save(conn);
  await room.armAlarm();
  return upgradeResponse(client, protocol);
}

export type { WorkerSocket };
