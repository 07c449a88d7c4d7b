// Memory is bounded per connection because every write to a client socket goes
// through edge/socket-writes.ts (docs/SECURITY.md#memory). This fails when an
// edge file other than that one calls `ws.send` itself.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const edgeDir = fileURLToPath(new URL("../packages/server/src/edge", import.meta.url));
const WRITER = "socket-writes.ts";
const DIRECT_SEND = /\bws\.send\(/;

describe("socket writes", () => {
  it("go through edge/socket-writes.ts only", () => {
    const offenders = readdirSync(edgeDir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== WRITER)
      .filter((f) => DIRECT_SEND.test(readFileSync(join(edgeDir, f), "utf8")));
    expect(offenders).toEqual([]);
    expect(DIRECT_SEND.test(readFileSync(join(edgeDir, WRITER), "utf8"))).toBe(true);
  });
});
