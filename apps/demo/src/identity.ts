// Who this tab is: a random display name and colour, kept for the tab's lifetime
// (sessionStorage survives reloads but not new tabs, so each tab is its own person).
// They travel in the dev token's `info` claim, not in presence: they never change
// during a session, so sending them with every cursor update would only cost bytes.

export interface Identity {
  /** Token `sub`: unique per tab, so two tabs are two users. */
  readonly userId: string;
  readonly name: string;
  /** CSS colour of the cursor and name label. */
  readonly color: string;
}

const ADJECTIVES = [
  "Amber",
  "Brave",
  "Calm",
  "Daring",
  "Eager",
  "Fuzzy",
  "Gentle",
  "Happy",
  "Jolly",
  "Keen",
  "Lucky",
  "Merry",
  "Nimble",
  "Quiet",
  "Swift",
  "Witty",
] as const;
const ANIMALS = [
  "Otter",
  "Falcon",
  "Panda",
  "Lynx",
  "Heron",
  "Koala",
  "Badger",
  "Fox",
  "Gecko",
  "Moose",
  "Puffin",
  "Tiger",
  "Walrus",
  "Yak",
  "Zebra",
  "Raven",
] as const;
/** Distinct hues, dark enough for white label text (WCAG AA at 12 px bold). */
export const COLORS = [
  "#d62839",
  "#e36414",
  "#b08900",
  "#2a9d3f",
  "#0f8b8d",
  "#1f6feb",
  "#6f42c1",
  "#c2185b",
  "#5d4037",
  "#37474f",
] as const;

/** Longest display name we accept from `?name=`, characters. */
export const MAX_NAME_LENGTH = 32;
const STORAGE_KEY = "collabblocks-demo-identity";

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length) % list.length]!;
}

export function createIdentity(random: () => number = Math.random): Identity {
  const name = `${pick(ADJECTIVES, random)} ${pick(ANIMALS, random)}`;
  const suffix = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, "0");
  return { userId: `${name.toLowerCase().replace(" ", "-")}-${suffix}`, name, color: pick(COLORS, random) };
}

function isIdentity(value: unknown): value is Identity {
  const v = value as Partial<Identity> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.userId === "string" &&
    typeof v.name === "string" &&
    typeof v.color === "string"
  );
}

/**
 * This tab's identity: the stored one if any, else a new random one (stored).
 * `?name=` overrides the display name (tests and screenshots use it).
 */
export function loadIdentity(
  storage: Pick<Storage, "getItem" | "setItem"> | undefined,
  search: URLSearchParams,
  random: () => number = Math.random,
): Identity {
  let identity: Identity | undefined;
  try {
    const stored: unknown = JSON.parse(storage?.getItem(STORAGE_KEY) ?? "null");
    if (isIdentity(stored)) identity = stored;
  } catch {
    // Unreadable storage (private mode, corrupt JSON): a fresh identity is fine.
  }
  if (!identity) {
    identity = createIdentity(random);
    try {
      storage?.setItem(STORAGE_KEY, JSON.stringify(identity));
    } catch {
      // Storage full or denied: the identity just won't survive a reload.
    }
  }
  const name = search.get("name")?.trim().slice(0, MAX_NAME_LENGTH);
  return name ? { ...identity, name } : identity;
}
