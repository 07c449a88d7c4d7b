// Tokens for the demo from the dev server's `POST /v1/dev/token` (packages/client/README.md#behaviour). A real
// app would call its own backend here, which signs tokens with its private key;
// the dev server signs with an ephemeral key and trusts whatever user it is told.
import { type AuthCallback, AuthError, type Client, createClient } from "@collabblocks/client";
import type { PageConfig } from "./config.js";
import type { Identity } from "./identity.js";

type Fetch = (input: string, init: RequestInit) => Promise<Pick<Response, "ok" | "status" | "json">>;

/** `{ name, color }` become the token's `info` claim: every peer sees them as `user.info`. */
export function createDevTokenAuth(
  serverOrigin: string,
  identity: Identity,
  fetchImpl: Fetch = globalThis.fetch.bind(globalThis),
): AuthCallback {
  return async (room) => {
    const response = await fetchImpl(`${serverOrigin}/v1/dev/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        room,
        user: identity.userId,
        info: { name: identity.name, color: identity.color },
      }),
    });
    // 4xx: this request will never succeed (e.g. not a dev server); 5xx/408/429: try again later.
    if (!response.ok) {
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      throw new AuthError(`POST /v1/dev/token answered ${response.status}`, retryable);
    }
    const body = (await response.json()) as { token?: unknown };
    if (typeof body.token !== "string") throw new AuthError("POST /v1/dev/token returned no token", false);
    return body.token;
  };
}

export function createDemoClient(config: PageConfig, identity: Identity): Client {
  return createClient({ url: config.wsUrl, authEndpoint: createDevTokenAuth(config.serverOrigin, identity) });
}
