// The plain-JS example (who-is-here.mjs) against a real `collabblocks dev`: Ada in two
// tabs (two processes, one user) and Bob, who sees Ada once with her two tabs, then nobody
// once both of Ada's tabs have left. Needs `npm run build` (the CLI and the client's dist).
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCliProcess } from "../../test-support/cli-process.js";
import { waitUntil } from "../../test-support/wait-until.js";

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), "who-is-here.mjs");
const ROOM = `vanilla-${process.pid}`;

let server: CliProcess | undefined;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await server?.stop();
});

function run(name: string, ...extra: string[]) {
  const child = spawn(
    process.execPath,
    [EXAMPLE, "--url", server!.url, "--room", ROOM, "--name", name, ...extra],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  const out = { lines: [] as string[], stderr: "" };
  let buf = "";
  child.stdout!.on("data", (c) => {
    buf += c;
    const parts = buf.split("\n");
    buf = parts.pop()!;
    out.lines.push(...parts);
  });
  child.stderr!.on("data", (c) => {
    out.stderr += c;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", r));
  return { child, out, exited };
}

describe("examples/vanilla/who-is-here.mjs", () => {
  it("prints at once, then each change: Ada's two tabs show as one person with 2 tabs", async () => {
    server = await startCliProcess(["dev", "--port", "0"]);
    const bob = run("Bob");
    await waitUntil("Bob connected", () => bob.out.lines.includes("status: connected"), 20_000);
    // The store called back at once (status "connecting" or "initial", and nobody else) before connecting.
    expect(bob.out.lines[0]).toMatch(/^status: /);
    expect(bob.out.lines).toContain("here: nobody else");
    const ada1 = run("Ada", "--move");
    const ada2 = run("Ada");
    const detail = () => `Bob:\n${bob.out.lines.join("\n")}\n${bob.out.stderr}`;
    await waitUntil("Bob sees Ada's two tabs", () => bob.out.lines.includes("here: Ada (2 tabs)"), 20_000, {
      detail,
    });
    ada1.child.kill("SIGTERM");
    ada2.child.kill("SIGTERM");
    expect(await ada1.exited).toBe(0); // left cleanly: the example stops its stores and timers
    expect(await ada2.exited).toBe(0);
    await waitUntil("Ada gone from Bob's list", () => bob.out.lines.at(-1) === "here: nobody else", 20_000, {
      detail,
    });
    bob.child.kill("SIGTERM");
    expect(await bob.exited).toBe(0);
  }, 90_000);
});
