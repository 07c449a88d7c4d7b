// No function in packages/server is over FUNCTION_LINE_LIMIT lines (CONTRIBUTING.md):
// a reader should hold a function in their head. Factories that still are over it
// are listed in OVER_LIMIT with their size today; the list may only shrink — a
// listed factory that grows, or any other function over the limit, fails.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const FUNCTION_LINE_LIMIT = 100;
const root = fileURLToPath(new URL("..", import.meta.url));
const serverSrc = join(root, "packages/server/src");

/** Known debt (issue 12): file:function → lines today. Split them; never add to this list. */
const OVER_LIMIT: Readonly<Record<string, number>> = {};

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== "test-support") sources(path, out);
    } else if (entry.endsWith(".ts") && !entry.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

/** Every function-like node over the limit, as "file:name" → lines. */
function longFunctions(): Map<string, number> {
  const found = new Map<string, number>();
  for (const file of sources(serverSrc)) {
    const src = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
        const first = src.getLineAndCharacterOfPosition(node.getStart()).line;
        const last = src.getLineAndCharacterOfPosition(node.end).line;
        const lines = last - first + 1;
        if (lines > FUNCTION_LINE_LIMIT) {
          const name = node.name?.getText(src) ?? `<anonymous at line ${first + 1}>`;
          found.set(`${relative(serverSrc, file)}:${name}`, lines);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  return found;
}

describe("function size", () => {
  it(`keeps every function in packages/server within ${FUNCTION_LINE_LIMIT} lines, known debt not growing`, () => {
    const problems: string[] = [];
    for (const [fn, lines] of longFunctions()) {
      const allowed = OVER_LIMIT[fn];
      if (allowed === undefined) problems.push(`${fn} is ${lines} lines (limit ${FUNCTION_LINE_LIMIT})`);
      else if (lines > allowed)
        problems.push(`${fn} grew to ${lines} lines (listed at ${allowed}): split it`);
    }
    expect(problems).toEqual([]);
  });
});
