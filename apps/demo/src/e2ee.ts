// The demo's "encrypted room" (docs/E2EE.md): a 256-bit room key in the URL fragment, `#key=…`
// (base64url). Browsers never send the fragment to a server, so sharing the link shares the key
// with whoever gets the link and never with the presence server. A tab opened without the key
// still joins the room, and shows the sealed fields of keyed tabs as locked.

import { type EncryptionOptions, isLocked } from "@collabblocks/client";
import { encryptedPresence } from "@collabblocks/client/e2ee";

const KEY_PARAM = "key";
/** 32 bytes as base64url without padding. */
const KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;

/** The key text of a `#key=…` fragment, or undefined (absent or malformed). */
export function readKeyFragment(hash: string): string | undefined {
  const value = new URLSearchParams(hash.replace(/^#/, "")).get(KEY_PARAM);
  return value !== null && KEY_TEXT.test(value) ? value : undefined;
}

/** A fresh random room key, as the fragment to put in the URL. */
export function newKeyFragment(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const text = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
  return `#${KEY_PARAM}=${text}`;
}

/**
 * The room's encryption for a key text. The cursor is sealed too (small rooms have no view to
 * filter by it); the big room keeps it clear so its viewport views work (docs/E2EE.md#fields).
 */
export async function demoEncryption(keyText: string, big: boolean): Promise<EncryptionOptions> {
  const raw = Uint8Array.from(atob(keyText.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return encryptedPresence({ key, fields: big ? ["status"] : ["cursor", "status"] });
}

/** A peer's status as text: empty when unset or locked (a sealed status this tab has no key for). */
export function clearText(status: unknown): string {
  return typeof status === "string" && !isLocked(status) ? status : "";
}
