// The contract lives in the repo (CONTRIBUTING.md): comments and docs cite the
// repo's own documents by section — `PROTOCOL.md §6` (a numbered section) or
// `docs/ARCHITECTURE.md#the-edge` (a heading's anchor) — and this test fails when
// a cited document or section does not exist, or when a file cites the design
// brief or style guide that live outside the repo.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const SKIP_DIRS = new Set(["node_modules", "dist", ".git", "results", "test-artifacts", ".vite", "checks"]);
const TEXT = /\.(ts|tsx|mjs|cjs|js|md|yml|yaml|json|proto|sh)$/;
// Spelled in pieces so this file does not match itself.
const OUTSIDE = new RegExp(`\\b(${["BRI", "EF"].join("")}|${["STY", "LE"].join("")}) §`);

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) walk(join(dir, entry.name), out);
    } else if (TEXT.test(entry.name) && entry.name !== "package-lock.json") out.push(join(dir, entry.name));
  }
  return out;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

const files = walk(root);
const docs = files.filter((f) => f.endsWith(".md"));
const headingsOf = new Map<string, string[]>();
function headings(doc: string): string[] {
  let h = headingsOf.get(doc);
  if (h === undefined) {
    h = readFileSync(doc, "utf8")
      .split("\n")
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => l.replace(/^#+ /, ""));
    headingsOf.set(doc, h);
  }
  return h;
}

/** The document a citation names: relative to the citing file, to the root, or by a unique file name. */
function resolveDoc(cited: string, from: string): string | undefined {
  const candidates = [resolve(dirname(from), cited), resolve(root, cited)];
  for (const c of candidates) if (docs.includes(c)) return c;
  if (cited.includes("/")) return undefined;
  const named = docs.filter((d) => d.endsWith(`/${cited}`));
  return named.length === 1 ? named[0] : undefined;
}

interface Citation {
  readonly file: string;
  readonly text: string;
  readonly problem: string | undefined;
}

/** Every citation in one file's text, with what is wrong with it (undefined when it resolves). */
function citationsIn(file: string, text: string): Citation[] {
  const found: Citation[] = [];
  for (const m of text.matchAll(/([\w./-]*[\w-]\.md) §(\d+)/g)) {
    const doc = resolveDoc(m[1] as string, file);
    const n = m[2] as string;
    const problem =
      doc === undefined
        ? "no such document"
        : headings(doc).some((h) => h.startsWith(`${n}. `))
          ? undefined
          : `no section ${n}`;
    found.push({ file, text: m[0], problem });
  }
  for (const m of text.matchAll(/([\w./-]*[\w-]\.md)#([\w-]+)/g)) {
    const doc = resolveDoc(m[1] as string, file);
    const anchor = m[2] as string;
    const problem =
      doc === undefined
        ? "no such document"
        : headings(doc).some((h) => slug(h) === anchor)
          ? undefined
          : `no heading #${anchor}`;
    found.push({ file, text: m[0], problem });
  }
  if (OUTSIDE.test(text)) found.push({ file, text: "a document outside the repo", problem: "cited" });
  return found;
}

describe("citations", () => {
  it("name documents and sections that exist in the repo, and nothing outside it", () => {
    const bad: string[] = [];
    let count = 0;
    for (const file of files) {
      for (const c of citationsIn(file, readFileSync(file, "utf8"))) {
        count++;
        if (c.problem !== undefined) bad.push(`${relative(root, file)}: ${c.text} (${c.problem})`);
      }
    }
    expect(bad).toEqual([]);
    expect(count).toBeGreaterThan(50);
  });

  it("would catch a missing section, a missing anchor, a missing document and an outside citation", () => {
    const file = join(root, "packages/server/src/example.ts");
    const problems = (text: string) => citationsIn(file, text).map((c) => c.problem);
    expect(problems("see PROTOCOL.md §6")).toEqual([undefined]);
    expect(problems("see PROTOCOL.md §99")).toEqual(["no section 99"]);
    expect(problems("see docs/ARCHITECTURE.md#the-edge")).toEqual([undefined]);
    expect(problems("see docs/ARCHITECTURE.md#no-such-heading")).toEqual(["no heading #no-such-heading"]);
    expect(problems("see docs/NOWHERE.md §1")).toEqual(["no such document"]);
    expect(problems(`see ${["BRI", "EF"].join("")} §6`)).toEqual(["cited"]);
  });
});
