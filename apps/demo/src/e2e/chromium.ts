// Launching the system's Chromium (Debian's `chromium` package) through
// playwright-core, which ships no browser of its own. DEVELOPERS.md explains the
// flags; keep the two in step.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's launcher script (it execs /usr/lib/chromium/chromium). `.ci/run` apt-installs it when missing. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * - `--no-sandbox`: tests run as root in containers, where Chromium's sandbox cannot start.
 * - `--disable-gpu`: no GPU in CI; software rendering avoids GPU-process crashes and start-up probing.
 * - `--disable-quic`, `--disable-background-networking`, `--disable-component-update`, `--disable-sync`,
 *   `--no-first-run`: no traffic or work besides the page under test (no update checks, no
 *   Google services, no first-run UI), so timings measure our code on a quiet, offline-safe browser.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Headless launch with a fresh temporary profile (playwright makes and deletes it). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: the browser tests need Debian's chromium ` +
        "(`apt-get install chromium`; .ci/run installs it), or set CHROMIUM_PATH",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: 60_000,
  });
}
