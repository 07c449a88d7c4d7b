// Where tokens come from: a static token, an auth endpoint (POST {room} → {token}),
// or an app callback. The connection asks for a fresh one after an auth failure
// and for in-band renewal; otherwise it reuses the last one while it is valid.

/** An app callback producing a token for a room (may also return `{ token }`). */
export type AuthCallback = (room: string) => Promise<string | { token: string }>;

export type FetchLike = (
  input: string,
  init: { method: string; headers: Record<string, string>; body: string; credentials?: "include" },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** The token could not be obtained. `retryable` false: the endpoint refused (HTTP 401/403/…). */
export class AuthError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = "AuthError";
    this.retryable = retryable;
  }
}

export interface TokenSource {
  /** False for a static token: it cannot be refreshed, so token errors end the session. */
  readonly renewable: boolean;
  get(room: string): Promise<string>;
}

export interface TokenSourceOptions {
  authEndpoint?: string | AuthCallback | undefined;
  token?: string | undefined;
  fetch?: FetchLike | undefined;
}

export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const { authEndpoint, token } = options;
  if ((authEndpoint === undefined) === (token === undefined)) {
    throw new TypeError("createClient needs exactly one of `authEndpoint` or `token`");
  }
  if (token !== undefined) {
    if (typeof token !== "string" || token.length === 0) throw new TypeError("`token` must be a string");
    return { renewable: false, get: async () => token };
  }
  if (typeof authEndpoint === "function") {
    return {
      renewable: true,
      async get(room) {
        let result: unknown;
        try {
          result = await authEndpoint(room);
        } catch (err) {
          if (err instanceof AuthError) throw err; // the app decides whether retrying helps
          throw new AuthError(
            `authEndpoint callback failed: ${(err as Error)?.message ?? String(err)}`,
            true,
          );
        }
        return tokenFrom(result, "authEndpoint callback");
      },
    };
  }
  if (typeof authEndpoint !== "string" || authEndpoint.length === 0) {
    throw new TypeError("`authEndpoint` must be a URL string or a function");
  }
  const endpoint = authEndpoint;
  return {
    renewable: true,
    async get(room) {
      const doFetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike | undefined);
      if (!doFetch) throw new AuthError("no fetch implementation: pass `fetch` to createClient", false);
      let response: Awaited<ReturnType<FetchLike>>;
      try {
        response = await doFetch(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ room }),
          credentials: "include",
        });
      } catch (err) {
        throw new AuthError(`auth endpoint unreachable: ${(err as Error)?.message ?? String(err)}`, true);
      }
      if (!response.ok) {
        // 401/403 (and other 4xx but timeouts/throttling) mean "no": retrying would not help.
        const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
        throw new AuthError(`auth endpoint answered HTTP ${response.status}`, retryable);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new AuthError("auth endpoint did not answer JSON", true);
      }
      return tokenFrom(body, "auth endpoint");
    },
  };
}

function tokenFrom(value: unknown, what: string): string {
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "object" && value !== null) {
    const t = (value as { token?: unknown }).token;
    if (typeof t === "string" && t.length > 0) return t;
  }
  throw new AuthError(`${what} did not return a token (expected a string or { token })`, true);
}

/**
 * The `exp` claim of a JWT (seconds since the Unix epoch), read without
 * verification: only used to schedule renewal; the server verifies.
 */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const json: unknown = JSON.parse(atob(padded));
    const exp = (json as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}
