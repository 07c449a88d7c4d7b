// How a user looks in the ready-made UI when the app says nothing: a colour derived from the
// user id (the same person gets the same colour in every tab and on every screen, with no
// setting to share), the token's `info.name` or the user id as the name, and initials.

/** Saturation and lightness of derived colours: dark enough for white 12 px bold text on top (WCAG AA). */
const SATURATION = 65;
const LIGHTNESS = 38;

/** 32-bit FNV-1a: a stable, well-spread hash of short ids (not for security). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A CSS colour for `userId`, always the same for the same id. */
export function userColor(userId: string): string {
  return `hsl(${fnv1a(userId) % 360} ${SATURATION}% ${LIGHTNESS}%)`;
}

const record = (info: unknown): Record<string, unknown> =>
  typeof info === "object" && info !== null && !Array.isArray(info) ? (info as Record<string, unknown>) : {};

/** `info.name` when it is a non-empty string, else the user id. */
export function userName(info: unknown, userId: string): string {
  const name = record(info).name;
  return typeof name === "string" && name.trim().length > 0 ? name : userId;
}

/** `info.avatar` when it is an http(s) URL (never `javascript:` or data from a peer), else undefined. */
export function userAvatar(info: unknown): string | undefined {
  const avatar = record(info).avatar;
  return typeof avatar === "string" && /^https?:\/\//i.test(avatar) ? avatar : undefined;
}

/** Up to two initials: "Swift Otter" → "SO", "ada" → "A". */
export function initials(name: string): string {
  const words = name
    .trim()
    .split(/[\s._-]+/)
    .filter(Boolean);
  const letters = words.length > 1 ? [words[0]!, words.at(-1)!] : words.slice(0, 1);
  return letters.map((w) => [...w][0]!.toUpperCase()).join("");
}
