// The token verifier of the Durable Object edge: the Node edge's (edge/auth.ts,
// jose, ES256, JWKS) with the Worker's rollout gates as its policy.
import { createTokenVerifier, gateRefusal, type TokenVerifier } from "@collabblocks/server/portable";
import { type Env, gatesOf } from "./config.js";

// One verifier per isolate and JWKS URL: jose's cache of the JWKS (10 min, refetch on
// an unknown kid) then serves every room object of the isolate, as one Node edge's does.
let cached: { readonly url: string; readonly verifier: TokenVerifier } | undefined;

export function verifierFor(env: Env): TokenVerifier {
  if (cached === undefined || cached.url !== env.JWKS_URL) {
    cached = {
      url: env.JWKS_URL,
      verifier: createTokenVerifier({
        keys: { jwksUrl: env.JWKS_URL },
        authorize: (claims) => gateRefusal(gatesOf(env), claims),
        // Workers Logs keep console output: a throw while checking claims is a bug to see there.
        onError: (err) =>
          console.error(JSON.stringify({ msg: "token claims check threw", err: String(err) })),
      }),
    };
  }
  return cached.verifier;
}
