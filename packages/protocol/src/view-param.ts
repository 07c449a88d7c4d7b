// The `view` query parameter of the connect URL (PROTOCOL.md §1, §8): a view
// declared at join, so the join snapshot already holds only the view — a join is
// O(view) from its first byte. The value is a SET_VIEW message, MsgPack-encoded
// as on the wire, in base64url (no padding). Pure, browser- and Node-safe.
import { decodeClientMessage, encode } from "./codec.js";
import { ProtocolError } from "./errors.js";
import { MessageType } from "./messages.js";
import { type ViewSpec, validateView } from "./view.js";

/** Longest `view` parameter accepted, characters (a view with 64 long pinned ids fits). */
export const MAX_VIEW_PARAM_LENGTH = 4096;

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text))
    throw new ProtocolError("INVALID_VIEW", "view parameter is not base64url");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function encodeViewParam(view: ViewSpec): string {
  return toBase64Url(encode({ type: MessageType.SET_VIEW, view }));
}

/** The view a connect URL declares. Throws ProtocolError("INVALID_VIEW") for anything else. */
export function decodeViewParam(text: string): ViewSpec {
  if (text.length > MAX_VIEW_PARAM_LENGTH) {
    throw new ProtocolError("INVALID_VIEW", `view parameter longer than ${MAX_VIEW_PARAM_LENGTH} characters`);
  }
  let msg: ReturnType<typeof decodeClientMessage>;
  try {
    msg = decodeClientMessage(fromBase64Url(text));
  } catch (err) {
    if (err instanceof ProtocolError)
      throw new ProtocolError("INVALID_VIEW", `view parameter: ${err.message}`);
    throw new ProtocolError("INVALID_VIEW", "view parameter is not base64url");
  }
  if (msg.type !== MessageType.SET_VIEW || msg.view === null) {
    throw new ProtocolError("INVALID_VIEW", "view parameter is not a SET_VIEW with a view");
  }
  return validateView(msg.view);
}
