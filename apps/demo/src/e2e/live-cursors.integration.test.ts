// The built demo in a real headless Chromium against a real `collabblocks dev`:
// two tabs (separate browser contexts, so separate storage and identities) in one
// room. Needs `npm run build` (CLI + demo) and /usr/bin/chromium.
//
// The cursor delay is measured inside the pages: tab A stamps each position when
// it hands it to `updatePresence`, tab B stamps it when that exact position is
// committed to its DOM (window.__presence, see ../probe.ts). Both stamps are
// wall-clock ms from the same machine, so B − A is the delay across tabs.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIG_ROOM_CAP } from "../big-room.js";
import "../probe.js"; // declares window.__presence
import { startTcpProxy } from "../../../../packages/server/src/test-support/redis-harness.js";
import { launchChromium } from "./chromium.js";
import { type DevServer, startDevServer } from "./dev-server-process.js";

const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../test-artifacts");
/** The product plan's promise for a cursor crossing tabs, ms. */
const CURSOR_DELAY_LIMIT_MS = 200;
const MOVES = 15;
/** Spacing of the test's pointer moves, ms: slower than the SDK's 20 Hz drag rate, so every move is sent. */
const MOVE_SPACING_MS = 120;
/** Normalised-position tolerance: 1/500 of the canvas. */
const POSITION_TOLERANCE = 0.002;
const VIEWPORT = { width: 1100, height: 720 };
const ROOM = `e2e-${process.pid}-${Date.now().toString(36)}`;

let server: DevServer | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openTab(name: string, room = ROOM, fragment = "", base = server!.url): Promise<Page> {
  const context = await browser!.newContext({ viewport: VIEWPORT });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (err) => pageErrors.push(`${name}: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") pageErrors.push(`${name} console: ${msg.text()}`);
  });
  await page.goto(`${base}/?room=${room}&name=${name}${fragment}`);
  await page.getByTestId("status-badge").and(page.locator('[data-status="connected"]')).waitFor();
  return page;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/** Resolves true, or false after `timeoutMs`; never throws on timeout. */
async function within<T>(promise: Promise<T>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), timeoutMs);
  });
  const done = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return result;
}

beforeAll(async () => {
  server = await startDevServer();
  browser = await launchChromium();
});

afterAll(async () => {
  // Each step bounded: a wedged browser must not keep the server (or the run) alive.
  await within(Promise.allSettled(contexts.map((c) => c.close())), 10_000);
  if (browser && !(await within(browser.close(), 10_000))) {
    // playwright also kills the browsers it launched when this process exits
    process.stderr.write("live-cursors e2e: chromium did not close within 10 s\n");
  }
  await server?.stop();
});

describe("live-cursors demo in two Chromium tabs", () => {
  let a: Page;
  let b: Page;
  let aId: string;
  const cursorOfA = () => `.cb-cursor[data-connection-id="${aId}"]`; // <LiveCursors />

  it("serves the demo at / and joins both tabs to the room from ?room=", async () => {
    a = await openTab("Alice");
    b = await openTab("Bob");
    aId = (await a.evaluate(() => window.__presence!.connectionId))!;
    expect(aId).toMatch(/^K[A-Za-z0-9_-]{23}$/); // derived from the tab's identity key (PROTOCOL.md §1)
    expect(await b.getByTestId("room").textContent()).toBe(ROOM);
    await b.locator(`[data-testid="person"][data-connection-id="${aId}"]`).waitFor();
    expect(await b.locator(`[data-testid="person"][data-connection-id="${aId}"]`).textContent()).toContain(
      "Alice",
    );
  });

  it(`moves A's cursor in B to the normalised position of A's pointer within ${CURSOR_DELAY_LIMIT_MS} ms`, async () => {
    const canvasA = (await a.getByTestId("canvas").boundingBox())!;
    // One move first, not timed: it mounts A's cursor in B (React's first render of it and
    // Chromium's first paint), a one-time cost that took up to 422 ms on a loaded CI
    // machine; the bound below is for moving a cursor B already shows.
    const warmUp = performance.now();
    await a.mouse.move(Math.round(canvasA.x + canvasA.width / 2), Math.round(canvasA.y + canvasA.height / 2));
    await b.locator(cursorOfA()).waitFor();
    const firstShownMs = performance.now() - warmUp;
    const sentBefore = await a.evaluate(() => window.__presence!.sent.length);
    const expected: { x: number; y: number }[] = [];
    const outside: number[] = []; // test-side bound: move → B's DOM seen by polling
    for (let i = 0; i < MOVES; i++) {
      const px = Math.round(canvasA.x + canvasA.width * (0.1 + (0.8 * i) / (MOVES - 1)));
      const py = Math.round(canvasA.y + canvasA.height * (0.85 - (0.7 * i) / (MOVES - 1)));
      const want = { x: (px - canvasA.x) / canvasA.width, y: (py - canvasA.y) / canvasA.height };
      expected.push(want);
      const t0 = performance.now();
      await a.mouse.move(px, py);
      await b.waitForFunction(
        ({ selector, x, y, tol }) => {
          const el = document.querySelector<HTMLElement>(selector);
          return (
            !!el && Math.abs(Number(el.dataset.x) - x) <= tol && Math.abs(Number(el.dataset.y) - y) <= tol
          );
        },
        { selector: cursorOfA(), x: want.x, y: want.y, tol: POSITION_TOLERANCE },
        { timeout: 10_000 },
      );
      outside.push(performance.now() - t0);
      await sleep(MOVE_SPACING_MS);
    }

    // The label is A's name, and the arrow sits at the right place on B's canvas.
    const cursor = b.locator(cursorOfA());
    expect(await cursor.getAttribute("data-name")).toBe("Alice");
    const canvasB = (await b.getByTestId("canvas").boundingBox())!;
    const last = expected.at(-1)!;
    await expect
      .poll(async () => {
        const box = (await cursor.boundingBox())!;
        return Math.max(
          Math.abs(box.x - (canvasB.x + last.x * canvasB.width)),
          Math.abs(box.y - (canvasB.y + last.y * canvasB.height)),
        );
      })
      .toBeLessThanOrEqual(2);

    // Delay per move, measured in the pages: A's send stamp → B's render stamp of the same position.
    const sent = (await a.evaluate(() => window.__presence!.sent)).slice(sentBefore);
    const rendered = await b.evaluate(
      (id) => window.__presence!.rendered.filter((r) => r.connectionId === id),
      aId,
    );
    expect(sent).toHaveLength(MOVES);
    const delays = sent.map((s) => {
      const r = rendered.find((r) => r.x === s.x && r.y === s.y && r.t >= s.t);
      return r ? r.t - s.t : Number.NaN;
    });
    expect(delays.every(Number.isFinite), `every sent position rendered in B: ${delays}`).toBe(true);
    const sorted = [...delays].sort((x, y) => x - y);
    const fmt = (v: number) => v.toFixed(1);
    console.log(
      `cursor delay A→B over ${MOVES} moves (in-page, ms): median ${fmt(quantile(sorted, 0.5))}, ` +
        `p90 ${fmt(quantile(sorted, 0.9))}, max ${fmt(sorted.at(-1)!)}; all: ${delays.map(fmt).join(" ")}; ` +
        `test-side move→seen max ${fmt(Math.max(...outside))}; first move → cursor shown ${fmt(firstShownMs)}`,
    );
    expect(sorted.at(-1)!).toBeLessThan(CURSOR_DELAY_LIMIT_MS);
  });

  it("propagates A's status text to B's people list and cursor label", async () => {
    const text = "reviewing the header";
    // Typed key by key: a burst of updates the SDK must coalesce without being rate-limited.
    await a.getByTestId("status-input").pressSequentially(text);
    const person = b.locator(`[data-testid="person"][data-connection-id="${aId}"]`);
    await expect.poll(() => person.getAttribute("data-peer-status")).toBe(text);
    expect(await b.locator(cursorOfA()).textContent()).toContain(text);
    expect(await a.getByTestId("notice").count(), "A shows no error").toBe(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await b.screenshot({ path: resolve(ARTIFACTS, "live-cursors-tab-b.png") });
  });

  it("hides A's cursor in B while A's pointer is outside the canvas, keeping A listed", async () => {
    const canvasA = (await a.getByTestId("canvas").boundingBox())!;
    await a.mouse.move(canvasA.x + canvasA.width / 2, canvasA.y / 2); // onto the header
    await b.locator(cursorOfA()).waitFor({ state: "detached" });
    expect(await b.locator(`[data-testid="person"][data-connection-id="${aId}"]`).count()).toBe(1);
    await a.mouse.move(canvasA.x + canvasA.width / 2, canvasA.y + canvasA.height / 2);
    await b.locator(cursorOfA()).waitFor();
  });

  it("glides A's cursor in B through intermediate positions between two updates", async () => {
    const canvasA = (await a.getByTestId("canvas").boundingBox())!;
    const at = (fx: number) => [canvasA.x + canvasA.width * fx, canvasA.y + canvasA.height / 2] as const;
    await a.mouse.move(...at(0.1));
    await b.waitForFunction(
      (sel) => document.querySelector<HTMLElement>(sel)?.dataset.x?.startsWith("0.1"),
      cursorOfA(),
    );
    await sleep(300); // settled: the next glide takes the longest duration (MAX_GLIDE_MS)
    // B records where its cursor of A is drawn at every animation frame (left, in % of the canvas).
    await b.evaluate((sel) => {
      const drawn: number[] = [];
      (window as unknown as { __drawn: number[] }).__drawn = drawn;
      const frame = () => {
        const el = document.querySelector<HTMLElement>(sel);
        if (el) drawn.push(Number.parseFloat(el.style.left));
        if (drawn.length < 120) requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    }, cursorOfA());
    await a.mouse.move(...at(0.9)); // one jump across the canvas, one update
    await b.waitForFunction(() =>
      (window as unknown as { __drawn: number[] }).__drawn.some((x) => x >= 89.9),
    );
    const drawn = await b.evaluate(() => (window as unknown as { __drawn: number[] }).__drawn);
    const between = [...new Set(drawn.filter((x) => x > 12 && x < 88).map((x) => x.toFixed(1)))];
    console.log(`A's cursor drawn in B between the two updates at (% of width): ${between.join(" ")}`);
    expect(
      between.length,
      `frames drawn: ${drawn.map((x) => x.toFixed(1)).join(" ")}`,
    ).toBeGreaterThanOrEqual(2);
  });

  it("shows A once in B's avatar stack while A has two tabs", async () => {
    // A browser's "Duplicate tab": a second tab of A's context with A's sessionStorage, so the same identity.
    const stored = await a.evaluate(() => JSON.stringify(Object.entries(sessionStorage)));
    const a2 = await a.context().newPage();
    await a2.addInitScript((entries) => {
      for (const [k, v] of JSON.parse(entries) as [string, string][]) sessionStorage.setItem(k, v);
    }, stored);
    await a2.goto(a.url());
    await a2.getByTestId("status-badge").and(a2.locator('[data-status="connected"]')).waitFor();
    const a2Id = await a2.evaluate(() => window.__presence!.connectionId);
    expect(a2Id).not.toBe(aId);
    await b.locator(`[data-testid="person"][data-connection-id="${a2Id}"]`).waitFor(); // two connections listed…
    const avatars = b.getByTestId("avatars").getByRole("img", { name: "Alice" });
    expect(await avatars.count()).toBe(1); // …one avatar
    expect(await b.getByTestId("avatars").getByRole("list").getAttribute("aria-label")).toBe(
      "1 other person here",
    );
    await a2.close();
    await b.locator(`[data-testid="person"][data-connection-id="${a2Id}"]`).waitFor({ state: "detached" });
  });

  it("removes A's cursor and entry from B when A's tab closes", async () => {
    const t0 = performance.now();
    await a.close();
    await b.waitForFunction((id) => !document.querySelector(`[data-connection-id="${id}"]`), aId, {
      timeout: 10_000,
    });
    console.log(`A's tab closed → gone from B after ${(performance.now() - t0).toFixed(0)} ms`);
    expect(await b.getByTestId("status-badge").getAttribute("data-status")).toBe("connected");
    expect(pageErrors).toEqual([]);
  });
});

describe("a peer that drops, in Chromium", () => {
  it("shows its cursor faded while it is reconnecting (PEER_LOST), then live again when it is back", async () => {
    // Ann reaches the server through a TCP proxy: resetting it drops her socket without a
    // close frame (a lost network, a killed process), and holding it keeps her away a while.
    const proxy = await startTcpProxy(Number(new URL(server!.url).port));
    try {
      const room = `${ROOM}-lost`;
      const ann = await openTab("Ann", room, "", `http://127.0.0.1:${proxy.port}`);
      const bea = await openTab("Bea", room);
      const annId = (await ann.evaluate(() => window.__presence!.connectionId))!;
      const canvas = (await ann.getByTestId("canvas").boundingBox())!;
      await ann.mouse.move(canvas.x + canvas.width * 0.4, canvas.y + canvas.height * 0.4);
      const cursor = `.cb-cursor[data-connection-id="${annId}"]`;
      await bea.locator(`${cursor}:not([data-reconnecting])`).waitFor();
      proxy.blackhole();
      proxy.resetAll();
      const faded = bea.locator(`${cursor}[data-reconnecting]`);
      await faded.waitFor({ timeout: 5000 }); // within the grace window (4 s)
      expect(Number(await faded.evaluate((el) => getComputedStyle(el).opacity))).toBeLessThan(0.5);
      proxy.heal(); // Ann's SDK reconnects with the same identity: back, not re-entered
      await bea.locator(`${cursor}:not([data-reconnecting])`).waitFor({ timeout: 15_000 });
      for (const page of [ann, bea]) await page.close();
    } finally {
      await proxy.close();
    }
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

describe("encrypted room in Chromium", () => {
  it("shows the key holders each other's cursor and status, and a locked badge in a tab without the key", async () => {
    const room = `${ROOM}-e2ee`;
    const fragment = `#key=${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
    const a = await openTab("Ana", room, fragment);
    const b = await openTab("Ben", room, fragment);
    const c = await openTab("Cy", room); // the same room, opened without the key
    expect(await a.getByTestId("e2ee-toggle").isChecked()).toBe(true);
    expect(await c.getByTestId("e2ee-toggle").isChecked()).toBe(false);
    const aId = (await a.evaluate(() => window.__presence!.connectionId))!;
    await a.getByTestId("status-input").fill("secret plan");
    const canvas = (await a.getByTestId("canvas").boundingBox())!;
    await a.mouse.move(canvas.x + canvas.width * 0.25, canvas.y + canvas.height * 0.75);
    // The cursor is sealed too: Ben draws it only because he decrypts it.
    const cursorInB = b.locator(`.cb-cursor[data-connection-id="${aId}"]`);
    await cursorInB.waitFor();
    await expect.poll(() => cursorInB.getAttribute("data-x")).toMatch(/^0\.2[45]/);
    const personInB = b.locator(`[data-testid="person"][data-connection-id="${aId}"]`);
    await expect.poll(() => personInB.getAttribute("data-peer-status")).toBe("secret plan");
    expect(await personInB.getByTestId("locked-badge").count()).toBe(0);
    // Cy sees Ana listed, locked: no status text, no cursor drawn.
    const personInC = c.locator(`[data-testid="person"][data-connection-id="${aId}"]`);
    await personInC.getByTestId("locked-badge").waitFor();
    expect(await personInC.getAttribute("data-peer-status")).toBe("");
    expect(await c.locator(`.cb-cursor[data-connection-id="${aId}"]`).count()).toBe(0);
    expect(await c.content()).not.toContain("secret plan");
    mkdirSync(ARTIFACTS, { recursive: true });
    await c.screenshot({ path: resolve(ARTIFACTS, "encrypted-room-without-key.png") });
    for (const page of [a, b, c]) await page.close();
    expect(pageErrors).toEqual([]);
  }, 90_000); // three tabs on a loaded 2-core machine
});

describe("big-room demo in Chromium", () => {
  it("adds 500 simulated people, counts them all, and draws only the viewport's, at most the view's cap", async () => {
    const context = await browser!.newContext({ viewport: VIEWPORT });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(`big: ${err.message}`));
    await page.goto(`${server!.url}/?room=${ROOM}-big&big=1&name=Viewer`);
    await page.getByTestId("status-badge").and(page.locator('[data-status="connected"]')).waitFor();
    await page.getByRole("button", { name: /simulated people/ }).click();
    await page.waitForFunction(
      () => /\b50\d people here/.test(document.querySelector('[data-testid="occupancy"]')?.textContent ?? ""),
      undefined,
      { timeout: 15_000 },
    );
    const occupancy = (await page.getByTestId("occupancy").textContent()) ?? "";
    const drawn = await page.locator('[data-testid="cursor"]').count();
    console.log(`big room: "${occupancy.trim()}", ${drawn} cursors drawn`);
    // The server sends only the viewport: a share of the 500, never more than the cap of 200.
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThanOrEqual(BIG_ROOM_CAP);
    expect(drawn).toBeLessThan(500);
    expect(pageErrors).toEqual([]);
  });
});
