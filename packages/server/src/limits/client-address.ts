// The client's address behind trusted proxies (docs/SECURITY.md#connection-caps).
// Per-address caps and the deny list need the client's address, and behind a
// reverse proxy the socket's peer is the proxy. `X-Forwarded-For` is read only
// when the peer is a trusted proxy (anyone else could write anything in it), and
// then from the right: each trusted hop appends the address it saw, so the
// rightmost address that is not itself a trusted proxy is the client. An entry
// that is not an IP address stops the walk (a proxy would not write it).
import { type BlockList, isIP } from "node:net";
import { inList, normalizeAddress, parseCidrList } from "./ip-filter.js";

/** Trusted by default: proxies on the same host (nginx or Caddy on loopback). */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ["127.0.0.0/8", "::1"];

/** Parses a trusted-proxy list; `none` or empty trusts no one. Throws RangeError on a bad entry. */
export function parseTrustedProxies(cidrs: readonly string[]): BlockList {
  return parseCidrList(
    cidrs.filter((c) => c !== "none"),
    "trusted proxies",
  );
}

/**
 * The client address of a request whose socket peer is `peer` and whose
 * `X-Forwarded-For` header is `forwarded` (undefined when absent).
 */
export function clientAddress(
  peer: string,
  forwarded: string | readonly string[] | undefined,
  trusted: BlockList,
): string {
  let address = normalizeAddress(peer);
  if (forwarded === undefined || !inList(trusted, address)) return address;
  const hops = (typeof forwarded === "string" ? forwarded : forwarded.join(","))
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]!);
    if (isIP(hop) === 0) break;
    address = hop;
    if (!inList(trusted, hop)) break;
  }
  return address;
}
