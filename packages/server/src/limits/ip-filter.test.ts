import { describe, expect, it } from "vitest";
import { createIpFilter, normalizeAddress, splitCidrText } from "./ip-filter.js";

describe("ip filter", () => {
  it("denies addresses inside an IPv4 CIDR, also when seen as IPv4-mapped IPv6", () => {
    const f = createIpFilter({ denyList: ["10.0.0.0/8", "192.168.1.7"] });
    expect(f.isDenied("10.1.2.3")).toBe(true);
    expect(f.isDenied("::ffff:10.1.2.3")).toBe(true);
    expect(f.isDenied("192.168.1.7")).toBe(true);
    expect(f.isDenied("192.168.1.8")).toBe(false);
    expect(f.isDenied("11.0.0.1")).toBe(false);
  });

  it("denies addresses inside an IPv6 CIDR", () => {
    const f = createIpFilter({ denyList: ["2001:db8::/32"] });
    expect(f.isDenied("2001:db8::1")).toBe(true);
    expect(f.isDenied("2001:db9::1")).toBe(false);
  });

  it("rejects a malformed entry with a RangeError and keeps the old list", () => {
    const f = createIpFilter({ denyList: ["10.0.0.0/8"] });
    expect(() => f.setDenyList(["10.0.0.0/33"])).toThrow(RangeError);
    expect(() => f.setDenyList(["not-an-ip"])).toThrow(RangeError);
    expect(f.isDenied("10.0.0.1")).toBe(true);
    f.setDenyList([]);
    expect(f.isDenied("10.0.0.1")).toBe(false);
  });

  it("caps live connections per address and frees them on release", () => {
    const f = createIpFilter({ maxPerIp: 2 });
    expect(f.acquire("1.1.1.1")).toBe(true);
    expect(f.acquire("1.1.1.1")).toBe(true);
    expect(f.acquire("1.1.1.1")).toBe(false);
    expect(f.acquire("2.2.2.2")).toBe(true);
    f.release("1.1.1.1");
    expect(f.acquire("1.1.1.1")).toBe(true);
    expect(f.count("1.1.1.1")).toBe(2);
  });

  it("splits lists written with commas, spaces, newlines and comments", () => {
    expect(splitCidrText("10.0.0.0/8, 1.2.3.4\n# comment\n::1 # loopback\n")).toEqual([
      "10.0.0.0/8",
      "1.2.3.4",
      "::1",
    ]);
    expect(normalizeAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
  });
});
