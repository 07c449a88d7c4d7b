// docs/AUTH.md, "Next.js": app/api/presence-token/route.ts in a Next.js app
// (App Router). A route handler is a function of the web Request, so this file is
// the whole route; `currentUser` is your auth library's session lookup.
import { createTokenSigner, type TokenSigner } from "@collabblocks/server/token";
import type { JWK } from "jose";

export interface NextRouteOptions {
  readonly privateJwk: JWK;
  readonly currentUser: (request: Request) => Promise<{ id: string; name: string; plan: string } | undefined>;
}

/** Builds the POST handler: `export const POST = createPresenceTokenRoute({...})`. */
export function createPresenceTokenRoute(options: NextRouteOptions): (request: Request) => Promise<Response> {
  let signer: Promise<TokenSigner> | undefined;
  return async (request) => {
    const user = await options.currentUser(request);
    if (user === undefined) return Response.json({ error: "sign in first" }, { status: 401 });
    let room: unknown;
    try {
      room = ((await request.json()) as { room?: unknown }).room;
    } catch {
      return Response.json({ error: "body is not JSON" }, { status: 400 });
    }
    if (typeof room !== "string") return Response.json({ error: "room is required" }, { status: 400 });
    signer ??= createTokenSigner(options.privateJwk);
    try {
      const token = await (await signer).sign({
        sub: user.id,
        room,
        plan: user.plan,
        info: { name: user.name },
      });
      return Response.json({ token }, { headers: { "cache-control": "no-store" } });
    } catch (err) {
      return Response.json({ error: (err as Error).message }, { status: 400 });
    }
  };
}
