#!/usr/bin/env node
// `npm start` (after `npm run build`): runs `collabblocks dev`, which serves the
// built demo at `/`, and prints the URL to open once the server is listening.
// Extra arguments go to the CLI: `npm start -- --port 9000 --log-level warn`.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const cli = resolve(root, "packages/server/dist/cli/main.js");
if (!existsSync(cli)) {
  process.stderr.write(`start: ${cli} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}
if (!existsSync(resolve(root, "apps/demo/dist/index.html"))) {
  process.stderr.write("start: apps/demo/dist is missing; the server will show a placeholder page\n");
}

const child = spawn(process.execPath, [cli, "dev", ...process.argv.slice(2)], {
  stdio: ["inherit", "pipe", "inherit"],
});
createInterface({ input: child.stdout }).on("line", (line) => {
  process.stdout.write(`${line}\n`);
  let event;
  try {
    event = JSON.parse(line);
  } catch {
    return;
  }
  if (event?.event === "listening" && typeof event.url === "string") {
    process.stdout.write(
      `\n  Live-cursors demo: ${event.url}/?room=demo\n  Open it in two browser tabs and move the mouse. Ctrl-C stops the server.\n\n`,
    );
  }
});
// Ctrl-C reaches the child too (same process group); a plain SIGTERM to us is forwarded.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
