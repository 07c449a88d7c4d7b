// `collabblocks keys [--out DIR] [--kid ID]` (docs/AUTH.md): writes a new ES256
// signing key for an app's backend — `<kid>.private.jwk.json` (mode 0600) — and
// `jwks.json` with its public half, for the URL given to `--jwks-url`. Refuses
// to overwrite either file. Prints one JSON line naming what it wrote.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateSigningKey } from "../token/signing-key.js";

export const KEYS_HELP = `collabblocks keys [--out DIR] [--kid ID]
  Writes an ES256 signing key for your backend: DIR/<kid>.private.jwk.json (keep it secret; mode 0600)
  and DIR/jwks.json (its public key: serve it at the URL you give \`collabblocks serve --jwks-url\`).
  --out DIR   where to write (default: the current directory)
  --kid ID    the key id (default: a random UUID)
`;

/** Runs the command; returns the exit code (0 written, 2 bad usage or a file in the way). */
export async function runKeys(
  argv: readonly string[],
  write = (s: string) => process.stdout.write(s),
): Promise<number> {
  let values: { out?: string; kid?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { out: { type: "string" }, kid: { type: "string" }, help: { type: "boolean" } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`collabblocks keys: ${(err as Error).message}\n${KEYS_HELP}`);
    return 2;
  }
  if (values.help) {
    write(KEYS_HELP);
    return 0;
  }
  if (values.kid !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(values.kid)) {
    process.stderr.write("collabblocks keys: --kid must be 1–64 of A-Z a-z 0-9 . _ -\n");
    return 2;
  }
  const key = await generateSigningKey(values.kid);
  const dir = resolve(values.out ?? ".");
  const privatePath = resolve(dir, `${key.kid}.private.jwk.json`);
  const jwksPath = resolve(dir, "jwks.json");
  for (const path of [privatePath, jwksPath]) {
    if (existsSync(path)) {
      process.stderr.write(
        `collabblocks keys: ${path} exists; choose another --out (rotation: docs/AUTH.md)\n`,
      );
      return 2;
    }
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(privatePath, `${JSON.stringify(key.privateJwk, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(jwksPath, `${JSON.stringify(key.jwks, null, 2)}\n`);
  write(`${JSON.stringify({ event: "keys", kid: key.kid, privateKey: privatePath, jwks: jwksPath })}\n`);
  return 0;
}
