// Signs ES256 tokens the way an app's backend would, and serves the public key as a
// JWKS for `collabblocks serve --jwks-url`. Unlike dev mode's ephemeral key, this
// key outlives server restarts, as a production signing key does.
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** Token lifetime, s (the server accepts ≤ 900). */
const TOKEN_LIFETIME_S = 600;

export interface TokenAuthority {
  readonly jwksUrl: string;
  sign(room: string, user: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTokenAuthority(): Promise<TokenAuthority> {
  const kid = "client-integration";
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }] });
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(jwks);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    sign(room, user) {
      const iat = Math.floor(Date.now() / 1000);
      return new SignJWT({ room, plan: "pro", info: { name: user } })
        .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
        .setSubject(user)
        .setIssuedAt(iat)
        .setExpirationTime(iat + TOKEN_LIFETIME_S)
        .sign(privateKey);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
