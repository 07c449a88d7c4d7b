// docs/AUTH.md, "Express": your backend signs presence tokens for signed-in users
// and publishes the public key. Copy this into your app; `currentUser` is where
// your own session lookup goes.

import { createTokenSigner } from "@collabblocks/server/token";
import express, { type Request } from "express";
import type { JSONWebKeySet, JWK } from "jose";

export interface ExpressAuthOptions {
  /** From `collabblocks keys`: the private JWK (keep it in a secret store). */
  readonly privateJwk: JWK;
  /** From `collabblocks keys`: jwks.json, served for `collabblocks serve --jwks-url`. */
  readonly jwks: JSONWebKeySet;
  /** Your session lookup: the signed-in user, or undefined. */
  readonly currentUser: (req: Request) => { id: string; name: string; plan: string } | undefined;
  /** May this user see this room? Your own access rules. */
  readonly mayEnter: (userId: string, room: string) => boolean;
}

export async function createAuthApp(options: ExpressAuthOptions): Promise<express.Express> {
  const signer = await createTokenSigner(options.privateJwk);
  const app = express();
  app.use(express.json({ limit: "4kb" }));
  // The SDK's authEndpoint: POST {room} → {token}.
  app.post("/api/presence-token", async (req, res) => {
    const user = options.currentUser(req);
    if (user === undefined) return void res.status(401).json({ error: "sign in first" });
    const room: unknown = req.body?.room;
    if (typeof room !== "string") return void res.status(400).json({ error: "room is required" });
    if (!options.mayEnter(user.id, room)) return void res.status(403).json({ error: "not your room" });
    try {
      const token = await signer.sign({ sub: user.id, room, plan: user.plan, info: { name: user.name } });
      res.set("cache-control", "no-store").json({ token });
    } catch (err) {
      res.status(400).json({ error: (err as Error).message }); // a room id the server would refuse
    }
  });
  // What `collabblocks serve --jwks-url https://your.app/.well-known/jwks.json` reads.
  app.get("/.well-known/jwks.json", (_req, res) => {
    res.set("cache-control", "public, max-age=300").json(options.jwks);
  });
  return app;
}
