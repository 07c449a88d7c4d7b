// Signs ES256 tokens the way an app's backend would, and serves the public key as a
// JWKS for `collabblocks serve --jwks-url`. Unlike dev mode's ephemeral key, this
// key outlives server restarts, as a production signing key does.
import { createTestKey, signToken, startJwksServer } from "../../../../test-support/jwks-server.js";

export interface TokenAuthority {
  readonly jwksUrl: string;
  /** A token for `user` in `room` (plan "pro", info `{ name: user }`), valid 600 s. */
  sign(room: string, user: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTokenAuthority(): Promise<TokenAuthority> {
  const key = await createTestKey("client-integration");
  const jwks = await startJwksServer([key]);
  return {
    jwksUrl: jwks.url,
    sign: (room, user) => signToken(key, { sub: user, room, info: { name: user } }),
    close: () => jwks.close(),
  };
}
