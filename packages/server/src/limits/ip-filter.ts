// Abuse controls at the upgrade (docs/ARCHITECTURE.md#the-edge): a CIDR deny list (replaceable at
// runtime, e.g. on SIGHUP) and a cap on live connections per client address.
// Node's net.BlockList does the CIDR matching for both address families.
import { BlockList, isIP } from "node:net";

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

/** Parses CIDRs (or bare addresses) into a BlockList. Throws RangeError naming the bad entry. */
export function parseDenyList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const raw of cidrs) {
    const entry = raw.trim();
    if (entry === "") continue;
    const [addr = "", prefixText] = entry.split("/");
    const family = isIP(addr);
    if (family === 0) throw new RangeError(`deny list: "${entry}" is not an IP address or CIDR`);
    const type = family === 4 ? "ipv4" : "ipv6";
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) {
      throw new RangeError(`deny list: "${entry}" has an invalid prefix length`);
    }
    list.addSubnet(addr, prefix, type);
  }
  return list;
}

/** Splits a deny-list text (commas, whitespace, newlines; `#` comments) into entries. */
export function splitDenyList(text: string): string[] {
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
  let deny = parseDenyList(options.denyList ?? []);
  const maxPerIp = options.maxPerIp ?? 0;
  const counts = new Map<string, number>();
  return {
    isDenied(address) {
      const a = normalizeAddress(address);
      const family = isIP(a);
      if (family === 0) return false;
      return deny.check(a, family === 4 ? "ipv4" : "ipv6");
    },
    setDenyList(cidrs) {
      deny = parseDenyList(cidrs);
    },
    acquire(address) {
      const n = counts.get(address) ?? 0;
      if (maxPerIp > 0 && n >= maxPerIp) return false;
      counts.set(address, n + 1);
      return true;
    },
    release(address) {
      const n = counts.get(address) ?? 0;
      if (n <= 1) counts.delete(address);
      else counts.set(address, n - 1);
    },
    count(address) {
      return counts.get(address) ?? 0;
    },
  };
}
