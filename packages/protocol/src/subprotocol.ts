// The WebSocket subprotocol and the token carried in it (PROTOCOL.md §1). A token
// in the connect URL ends up in proxy and server access logs; browsers cannot set
// an Authorization header on a WebSocket, but they can offer subprotocols, which
// travel in the Sec-WebSocket-Protocol request header. So an SDK offers two:
// the protocol itself, which the server selects (a browser fails a handshake
// whose answer names none of the offered ones), and the token as a second entry.

/** The subprotocol a server selects; SDKs always offer it. */
export const WS_SUBPROTOCOL = "collabblocks";
/** Prefix of the offered entry that carries the token: `collabblocks.token.<JWT>`. */
export const TOKEN_SUBPROTOCOL_PREFIX = "collabblocks.token.";

/** The subprotocols an SDK offers for a token. */
export function subprotocolsFor(token: string): string[] {
  return [WS_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`];
}

/** The token in a Sec-WebSocket-Protocol header value, if one is offered. */
export function tokenFromSubprotocols(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(",")) {
    const entry = part.trim();
    if (entry.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return entry.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return undefined;
}
