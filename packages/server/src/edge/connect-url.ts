// Parsing of the WebSocket connect URL (docs/ARCHITECTURE.md#the-edge):
//   /v1/rooms/{roomId}?token={JWT}[&key={identityKey}|&cid={connectionId}][&epoch={n}][&view={SET_VIEW, base64url}]
// Pure: takes the request's path+query, returns values or a refusal code.
import {
  isValidConnectionId,
  isValidIdentityKey,
  isValidRoomId,
  PROTOCOL_REVISION,
  tokenFromSubprotocols,
} from "@collabblocks/protocol";

export const ROOMS_PATH_PREFIX = "/v1/rooms/";
/** Longest token accepted in the query string, characters (a JWT with `info` is well below). */
const MAX_TOKEN_LENGTH = 8192;

export type ConnectRequest =
  | {
      readonly ok: true;
      readonly roomId: string;
      readonly token: string;
      /** Requested identity to resume, if any (`cid`: an id the edge binds on first use). */
      readonly connectionId: string | undefined;
      /** The identity key the connectionId is derived from (`key`, PROTOCOL.md §1), if any. */
      readonly key: string | undefined;
      /** The epoch the client last had (0 when absent). */
      readonly epoch: number;
      /** The view declared at join (PROTOCOL.md §8), undecoded; checked after the welcome. */
      readonly view: string | undefined;
      /** The protocol revision the client reads (PROTOCOL.md §1 `rev`), clamped to what this server knows. */
      readonly rev: number;
    }
  | { readonly ok: false; readonly code: "INVALID_ROOM" | "INVALID_TOKEN"; readonly message: string };

/** `rev` as a number: 1 when absent or not a number, the highest known when above it. */
function revision(text: string | null): number {
  const n = text === null || !/^\d{1,2}$/.test(text) ? 1 : Number(text);
  return Math.min(Math.max(n, 1), PROTOCOL_REVISION);
}

/** True when the path is a rooms endpoint at all (others get an HTTP 404, not a WebSocket). */
export function isRoomsPath(url: string): boolean {
  return url.startsWith(ROOMS_PATH_PREFIX);
}

/**
 * @param protocols the Sec-WebSocket-Protocol header: SDKs send the token there
 *   (PROTOCOL.md §1); a `token` query parameter wins when both are given.
 */
export function parseConnectUrl(url: string, protocols?: string): ConnectRequest {
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const params = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
  const raw = path.slice(ROOMS_PATH_PREFIX.length);
  let roomId: string;
  try {
    roomId = decodeURIComponent(raw);
  } catch {
    return { ok: false, code: "INVALID_ROOM", message: "roomId is not valid percent-encoding" };
  }
  if (!isValidRoomId(roomId)) {
    return { ok: false, code: "INVALID_ROOM", message: "roomId must match [A-Za-z0-9._:-]{1,128}" };
  }
  const connectionId = params.get("cid") ?? undefined;
  if (connectionId !== undefined && !isValidConnectionId(connectionId)) {
    return { ok: false, code: "INVALID_ROOM", message: "cid must match [A-Za-z0-9_-]{16,64}" };
  }
  const key = params.get("key") ?? undefined;
  if (key !== undefined && !isValidIdentityKey(key)) {
    return { ok: false, code: "INVALID_ROOM", message: "key must match [A-Za-z0-9_-]{22,64}" };
  }
  const epochText = params.get("epoch");
  const epoch = epochText === null ? 0 : Number(epochText);
  if (!/^\d{1,15}$/.test(epochText ?? "0") || !Number.isSafeInteger(epoch)) {
    return { ok: false, code: "INVALID_ROOM", message: "epoch must be a non-negative integer" };
  }
  const token = params.get("token") ?? tokenFromSubprotocols(protocols);
  if (token === undefined || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    return {
      ok: false,
      code: "INVALID_TOKEN",
      message:
        "missing token: give it as the collabblocks.token.<JWT> subprotocol or the token query parameter",
    };
  }
  const view = params.get("view") ?? undefined;
  return { ok: true, roomId, token, connectionId, key, epoch, view, rev: revision(params.get("rev")) };
}
