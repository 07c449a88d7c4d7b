import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientAddress, DEFAULT_TRUSTED_PROXIES, parseTrustedProxies } from "./client-address.js";

const loopback = parseTrustedProxies(DEFAULT_TRUSTED_PROXIES);

describe("clientAddress", () => {
  it("is the socket's peer when the peer is not a trusted proxy, whatever the header says", () => {
    expect(clientAddress("203.0.113.7", "1.2.3.4", loopback)).toBe("203.0.113.7");
    expect(clientAddress("::ffff:203.0.113.7", undefined, loopback)).toBe("203.0.113.7");
  });

  it("takes the rightmost address that is not a trusted proxy", () => {
    expect(clientAddress("127.0.0.1", "198.51.100.2", loopback)).toBe("198.51.100.2");
    // A client that forges an XFF entry only adds to the left of what the proxy saw.
    expect(clientAddress("127.0.0.1", "6.6.6.6, 198.51.100.2", loopback)).toBe("198.51.100.2");
    const chain = parseTrustedProxies(["127.0.0.1", "10.0.0.0/8"]);
    expect(clientAddress("127.0.0.1", ["198.51.100.2, 10.1.2.3", "10.9.9.9"], chain)).toBe("198.51.100.2");
  });

  it("stops at an entry that is not an address, and trusts no one with `none`", () => {
    expect(clientAddress("127.0.0.1", "198.51.100.2, unknown", loopback)).toBe("127.0.0.1");
    expect(clientAddress("127.0.0.1", "", loopback)).toBe("127.0.0.1");
    expect(clientAddress("127.0.0.1", "198.51.100.2", parseTrustedProxies(["none"]))).toBe("127.0.0.1");
    expect(() => parseTrustedProxies(["10.0.0.0/99"])).toThrow(/trusted proxies/);
  });

  it("never returns an address left of an untrusted hop (property)", () => {
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));
    fc.assert(
      fc.property(fc.array(ipv4, { maxLength: 6 }), ipv4, (forged, seen) => {
        // The proxy appended `seen`; everything left of it came from the client.
        const result = clientAddress("127.0.0.1", [...forged, seen].join(", "), loopback);
        if (!seen.startsWith("127.")) expect(result).toBe(seen);
      }),
    );
  });
});
