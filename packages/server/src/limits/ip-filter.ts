// Abuse controls at the upgrade (docs/ARCHITECTURE.md#the-edge): a CIDR deny list (replaceable at
// runtime, e.g. on SIGHUP) and a cap on live connections per client address
// (docs/SECURITY.md#connection-caps).
// Node's net.BlockList does the CIDR matching for both address families.
import { BlockList, isIP } from "node:net";
import { createConnCounter } from "./conn-counter.js";

export interface IpFilter {
  /** True when the address is on the deny list. */
  isDenied(address: string): boolean;
  /** Replaces the deny list. Throws RangeError on a malformed entry (and keeps the old list). */
  setDenyList(cidrs: readonly string[]): void;
  /** Counts a connection from `address`; false (and not counted) when the cap is reached. */
  acquire(address: string): boolean;
  /** Releases a connection counted by acquire. */
  release(address: string): void;
  /** Live connections counted for an address. */
  count(address: string): number;
}

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) → `1.2.3.4`, so IPv4 CIDRs match it. */
export function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Is the address (any form normalizeAddress accepts) in the list? Non-addresses never are. */
export function inList(list: BlockList, address: string): boolean {
  const a = normalizeAddress(address);
  const family = isIP(a);
  if (family === 0) return false;
  return list.check(a, family === 4 ? "ipv4" : "ipv6");
}

/** Parses CIDRs (or bare addresses) into a BlockList. Throws RangeError naming the list and the bad entry. */
export function parseCidrList(cidrs: readonly string[], what: string): BlockList {
  const list = new BlockList();
  for (const raw of cidrs) {
    const entry = raw.trim();
    if (entry === "") continue;
    const [addr = "", prefixText] = entry.split("/");
    const family = isIP(addr);
    if (family === 0) throw new RangeError(`${what}: "${entry}" is not an IP address or CIDR`);
    const type = family === 4 ? "ipv4" : "ipv6";
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) {
      throw new RangeError(`${what}: "${entry}" has an invalid prefix length`);
    }
    list.addSubnet(addr, prefix, type);
  }
  return list;
}

/** Splits a CIDR list text (deny list, trusted proxies: commas, whitespace, newlines; `#` comments) into entries. */
export function splitCidrText(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.replace(/#.*/, ""))
    .join(",")
    .split(/[\s,]+/)
    .filter((s) => s !== "");
}

/**
 * @param maxPerIp live connections allowed per address; 0 = unlimited (default).
 */
export function createIpFilter(options: { denyList?: readonly string[]; maxPerIp?: number } = {}): IpFilter {
  let deny = parseCidrList(options.denyList ?? [], "deny list");
  const counts = createConnCounter(options.maxPerIp ?? 0);
  return {
    isDenied: (address) => inList(deny, address),
    setDenyList(cidrs) {
      deny = parseCidrList(cidrs, "deny list");
    },
    acquire: (address) => counts.acquire(address),
    release: (address) => counts.release(address),
    count: (address) => counts.count(address),
  };
}
