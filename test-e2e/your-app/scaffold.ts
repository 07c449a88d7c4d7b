// A fresh Vite + React + TypeScript app in a folder, laid out like `npm create vite -- --template
// react-ts` (index.html, src/main.tsx, src/App.tsx, vite.config.ts, tsconfig.json), with
// src/App.tsx being README.md#use-it-in-your-app's snippet exactly as written there. The app gets
// the packed tarballs and, from the registry, the versions this repository already installs (so
// npm's cache serves them). Written by hand rather than by running create-vite: the test must not
// depend on whatever template create-vite publishes that day.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../../test-support/pack-packages.js";

const run = promisify(execFile);

/** The README section whose first ```tsx block is the app's src/App.tsx. */
export const README_SECTION = "## Use it in your app";

/** The snippet, verbatim: the first ```tsx block under README_SECTION. */
export function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`\n${README_SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${README_SECTION}" section`);
  const block = /\n```tsx\n([\s\S]*?)\n```\n/.exec(readme.slice(start));
  if (block === null) throw new Error(`README.md's "${README_SECTION}" has no \`\`\`tsx block`);
  return `${block[1]}\n`;
}

/** The version of `name` installed in this repository's node_modules. */
export function repoVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8"));
  return (manifest as { version: string }).version;
}

/**
 * The app's compiler options: create-vite's (bundler resolution, react-jsx, vite/client types,
 * skipLibCheck — @types/react 18.0's own .d.ts does not compile under TypeScript 5.9) made
 * stricter with `exactOptionalPropertyTypes` and `noUncheckedIndexedAccess`.
 */
export const APP_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022", "DOM", "DOM.Iterable"],
    module: "ESNext",
    moduleResolution: "bundler",
    jsx: "react-jsx",
    types: ["vite/client"],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    isolatedModules: true,
    skipLibCheck: true,
    noEmit: true,
  },
  include: ["src"],
};

const FILES: Readonly<Record<string, string>> = {
  "package.json": `${JSON.stringify({ name: "your-app", private: true, version: "0.0.0", type: "module" }, null, 2)}\n`,
  "index.html": `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <link rel="icon" href="data:," />
    <title>your app</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
`,
  "src/main.tsx": `import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import App from "./App.tsx";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`,
  "vite.config.ts": `import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({ plugins: [react()] });
`,
  "tsconfig.json": `${JSON.stringify(
    {
      ...APP_TSCONFIG,
      compilerOptions: { ...APP_TSCONFIG.compilerOptions, allowImportingTsExtensions: true },
    },
    null,
    2,
  )}\n`,
};

/** Writes the app's files into `dir` (created); src/App.tsx is the README snippet. */
export function scaffoldApp(dir: string): void {
  for (const [path, text] of Object.entries({ ...FILES, "src/App.tsx": readmeSnippet() })) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** What the app installs from the registry besides the tarballs, at this repository's versions. */
export function registryDependencies(): string[] {
  return [
    "react",
    "react-dom",
    "vite",
    "@vitejs/plugin-react",
    "typescript",
    "@types/react",
    "@types/react-dom",
  ].map((name) => `${name}@${repoVersion(name)}`);
}

/** `npm install` in `dir`, preferring npm's cache; rejects with npm's output on failure. */
export async function npmInstall(dir: string, specs: readonly string[], extra: readonly string[] = []) {
  try {
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...extra, ...specs], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `npm install ${specs.join(" ")} failed in ${dir}:\n${e.stdout ?? ""}${e.stderr ?? e.message}`,
    );
  }
}
