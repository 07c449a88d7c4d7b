// `@collabblocks/server/token`: what an app's backend needs to mint tokens
// (docs/AUTH.md), without the server's runtime.
export {
  createTokenSigner,
  DEFAULT_TOKEN_TTL_S,
  type TokenClaimsInput,
  type TokenSigner,
} from "./sign-token.js";
export { generateSigningKey, type SigningKey } from "./signing-key.js";
