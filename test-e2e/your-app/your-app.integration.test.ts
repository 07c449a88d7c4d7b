// "From the demo to your own app", end to end (README.md#use-it-in-your-app): a fresh Vite +
// React app in a temp folder installs the packed tarballs (not workspace links) and, from the
// registry, React, Vite and TypeScript at this repository's versions; its src/App.tsx is the
// README's snippet verbatim. The app is built with Vite, served from a plain static server, and
// two Chromium pages (separate contexts, so separate users) must see each other's cursors
// through a real `collabblocks dev`. The same snippet must type-check under strict +
// exactOptionalPropertyTypes with @types/react 18.0, 18.3 and 19, and Node must both import and
// require the installed packages (and the `@collabblocks/client/e2ee` entry). Needs `npm run
// build`, /usr/bin/chromium and the npm registry (or a warm npm cache). Every process and the temp folder are removed in afterAll.
import { execFile } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../apps/demo/src/e2e/chromium.js";
import { type CliProcess, startCliProcess } from "../../test-support/cli-process.js";
import { packPackages } from "../../test-support/pack-packages.js";
import { npmInstall, registryDependencies, scaffoldApp } from "./scaffold.js";
import { type StaticServer, serveStatic } from "./static-server.js";

const run = promisify(execFile);

/** @types/react lines the snippet must type-check with, each with its @types/react-dom. */
const TYPES_VARIANTS = [
  { react: "18.0.38", reactDom: "18.0.11" },
  { react: "18.3.32", reactDom: "18.3.7" },
  { react: "19.3.0", reactDom: "19.3.0" },
] as const;
const VIEWPORT = { width: 800, height: 600 };
/** Normalised-position tolerance (the snippet sends clientX / innerWidth). */
const POSITION_TOLERANCE = 0.005;
/** How long a cursor may take to show up in the other page, ms (generous: first connect included). */
const SEE_TIMEOUT_MS = 15_000;
/** Setup (pack, install, build) on a loaded 2-core machine, ms; measured ~30 s with a warm cache. */
const SETUP_TIMEOUT_MS = 240_000;

/** Not in the README: deleting an optional key with `undefined`, as an exactOptionalPropertyTypes app does. */
const EXACT_OPTIONAL_FILE = `import { createPresenceHooks } from "@collabblocks/react";

type Presence = { status?: string; cursor?: { x: number; y: number } | null };
const { useMyPresence } = createPresenceHooks<Presence>();

export function ClearStatus() {
  const update = useMyPresence();
  return <button type="button" onClick={() => update({ status: undefined, cursor: null })}>clear</button>;
}
`;

let temp = "";
let appDir = "";
let server: CliProcess | undefined;
let site: StaticServer | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];
const timings: string[] = [];

async function timed<T>(what: string, step: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await step();
  timings.push(`${what}: ${Math.round(performance.now() - started)} ms`);
  return result;
}

async function openPage(name: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: VIEWPORT });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (err) => pageErrors.push(`${name}: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") pageErrors.push(`${name} console: ${msg.text()}`);
  });
  await page.goto(site!.url);
  return page;
}

/** Waits until `page` draws exactly one other cursor, and returns its normalised position. */
async function otherCursor(page: Page): Promise<{ x: number; y: number }> {
  const cursor = page.locator(".cursor");
  await cursor.waitFor({ timeout: SEE_TIMEOUT_MS });
  expect(await cursor.count()).toBe(1);
  const style = await cursor.evaluate((el) => ({
    left: (el as HTMLElement).style.left,
    top: (el as HTMLElement).style.top,
  }));
  return { x: Number.parseFloat(style.left) / 100, y: Number.parseFloat(style.top) / 100 };
}

/** Moves the mouse in `from` until `to` draws it at the expected position (moves before connecting are fine too). */
async function expectSeen(from: Page, to: Page, px: { x: number; y: number }): Promise<void> {
  await from.mouse.move(px.x, px.y);
  const want = { x: px.x / VIEWPORT.width, y: px.y / VIEWPORT.height };
  await expect
    .poll(async () => otherCursor(to), { timeout: SEE_TIMEOUT_MS, interval: 100 })
    .toSatisfy(
      (got: { x: number; y: number }) =>
        Math.abs(got.x - want.x) < POSITION_TOLERANCE && Math.abs(got.y - want.y) < POSITION_TOLERANCE,
    );
}

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), "collabblocks-your-app-"));
  const packDir = join(temp, "packs");
  appDir = join(temp, "app");
  mkdirSync(packDir);
  mkdirSync(appDir);
  const packed = await timed("npm pack (4 packages)", () => packPackages(packDir));
  scaffoldApp(appDir);
  const tarballs = (["protocol", "client", "react"] as const).map((n) => packed[n].tarball);
  await timed("npm install (3 tarballs + react, react-dom, vite, plugin-react, typescript, @types)", () =>
    npmInstall(appDir, [...tarballs, ...registryDependencies()]),
  );
  server = await timed("collabblocks dev start", () => startCliProcess(["dev", "--port", "0"]));
  await timed("vite build", () =>
    run(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--logLevel", "warn"], {
      cwd: appDir,
      env: { ...process.env, VITE_PRESENCE_URL: server!.url },
    }),
  );
  site = await serveStatic(join(appDir, "dist"));
  browser = await launchChromium();
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await Promise.allSettled(contexts.map((c) => c.close()));
  await browser?.close().catch(() => undefined); // playwright also kills its browsers when this process exits
  await site?.close();
  await server?.stop();
  if (temp !== "") rmSync(temp, { recursive: true, force: true });
  console.log(`your-app timings:\n  ${timings.join("\n  ")}`);
}, 30_000);

describe("a fresh Vite + React app with the packed tarballs", () => {
  it("installs them as real packages with one copy of React", () => {
    for (const name of ["protocol", "client", "react"]) {
      const dir = join(appDir, "node_modules/@collabblocks", name);
      expect(lstatSync(dir).isSymbolicLink(), `${dir} is a link`).toBe(false);
    }
    const nested = join(appDir, "node_modules/@collabblocks/react/node_modules");
    const nestedNames = (() => {
      try {
        return readdirSync(nested);
      } catch {
        return []; // no nested node_modules at all: nothing duplicated
      }
    })();
    expect(nestedNames).not.toContain("react");
  });

  it("shows each page the other's cursor through collabblocks dev, with the README's snippet", async () => {
    const a = await timed("open page A", () => openPage("A"));
    const b = await timed("open page B", () => openPage("B"));
    await timed("A's cursor seen by B", () => expectSeen(a, b, { x: 240, y: 240 }));
    await timed("B's cursor seen by A", () => expectSeen(b, a, { x: 560, y: 120 }));
    await timed("A's cursor moved, seen by B", () => expectSeen(a, b, { x: 400, y: 450 }));
    // A leaves (its page closes): B stops drawing it.
    await contexts[0]!.close();
    await b.locator(".cursor").waitFor({ state: "detached", timeout: SEE_TIMEOUT_MS });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it("lets Node import (ESM) and require (CommonJS) the installed packages", async () => {
    const esm = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { createClient } from "@collabblocks/client";
         import { createPresenceHooks } from "@collabblocks/react";
         import { encode } from "@collabblocks/protocol";
         console.log(typeof createClient, typeof createPresenceHooks, typeof encode, import.meta.resolve("@collabblocks/client"));`,
      ],
      { cwd: appDir },
    );
    expect(esm.stdout.trim()).toMatch(/^function function function file:.*\/client\/dist\/index\.js$/);
    const cjs = await run(
      process.execPath,
      [
        "-e",
        `const { createClient } = require("@collabblocks/client");
         const { createPresenceHooks } = require("@collabblocks/react");
         const { encode } = require("@collabblocks/protocol");
         console.log(typeof createClient, typeof createPresenceHooks, typeof encode, require.resolve("@collabblocks/client"));`,
      ],
      { cwd: appDir },
    );
    expect(cjs.stdout.trim()).toMatch(/^function function function .*\/client\/dist\/cjs\/index\.js$/);
    // The separate entry of end-to-end encrypted presence (docs/E2EE.md#using-it), both ways.
    const e2ee = await Promise.all([
      run(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `import { encryptedPresence } from "@collabblocks/client/e2ee"; console.log(typeof encryptedPresence, import.meta.resolve("@collabblocks/client/e2ee"));`,
        ],
        { cwd: appDir },
      ),
      run(
        process.execPath,
        [
          "-e",
          `const { encryptedPresence } = require("@collabblocks/client/e2ee"); console.log(typeof encryptedPresence, require.resolve("@collabblocks/client/e2ee"));`,
        ],
        { cwd: appDir },
      ),
    ]);
    expect(e2ee[0].stdout.trim()).toMatch(/^function file:.*\/client\/dist\/e2ee\.js$/);
    expect(e2ee[1].stdout.trim()).toMatch(/^function .*\/client\/dist\/cjs\/e2ee\.js$/);
  });

  describe("type-checks the snippet under strict + exactOptionalPropertyTypes", () => {
    it.each(TYPES_VARIANTS)(
      "with @types/react $react",
      async ({ react, reactDom }) => {
        writeFileSync(join(appDir, "src/exact-optional.tsx"), EXACT_OPTIONAL_FILE);
        await timed(`npm install @types/react@${react}`, () =>
          npmInstall(appDir, [`@types/react@${react}`, `@types/react-dom@${reactDom}`], ["--no-save"]),
        );
        const tsc = await timed(`tsc with @types/react@${react}`, () =>
          run(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.json"], {
            cwd: appDir,
          }).catch((err: { stdout?: string; stderr?: string }) => err),
        );
        expect(`${tsc.stdout ?? ""}${tsc.stderr ?? ""}`).toBe("");
      },
      120_000,
    );
  });
});
