// The room as Svelte-style stores (packages/client/README.md#stores-svelte-and-plain-js): each store's
// `subscribe(run)` calls `run` at once with the current value, again whenever the value
// changes, and returns the unsubscribe function — the Svelte store contract, so a Svelte
// component reads `$others` with no adapter, and plain JS gets a value-first API.
//
// `room.subscribe(event, cb)` stays what it is: events, heard from now on, with what changed
// (the React hooks and listeners need the event, e.g. an `enter`). Stores are built on it and
// the room's getters, which keep a value's identity while nothing in it changed, so a store
// calls `run` only when its getter returns something new (Object.is).
import type { Occupancy, PresenceUser, Room, RoomEvents, Status, User } from "./types.js";

/** The Svelte store contract (svelte/store's `Readable`, without its optional invalidate callback). */
export interface Readable<T> {
  subscribe(run: (value: T) => void): () => void;
}

export interface RoomStores<P extends object> {
  /** room.getOthers(): everyone else, one entry per connection. */
  readonly others: Readable<readonly User<P>[]>;
  /** room.getUsers(): everyone else, one entry per user (their tabs inside). */
  readonly users: Readable<readonly PresenceUser<P>[]>;
  /** room.getSelf(): me as others see me; null before the first welcome. */
  readonly self: Readable<User<P> | null>;
  /** room.getPresence(): my presence as I set it. */
  readonly presence: Readable<P>;
  readonly status: Readable<Status>;
  /** room.getOccupancy(): the room's size; null before joining. */
  readonly occupancy: Readable<Occupancy | null>;
}

/** A store over room events: `get` is read at subscribe time and after each of `events`. */
export function roomReadable<P extends object, T>(
  room: Room<P>,
  events: readonly (keyof RoomEvents<P>)[],
  get: () => T,
): Readable<T> {
  if (events.length === 0) throw new TypeError("roomReadable needs at least one event");
  return {
    subscribe(run) {
      if (typeof run !== "function") throw new TypeError("subscribe expects a function");
      let value = get();
      run(value);
      const check = () => {
        const next = get();
        if (Object.is(next, value)) return;
        value = next;
        run(next);
      };
      const offs = events.map((event) => room.subscribe(event, check as RoomEvents<P>[typeof event]));
      return () => {
        for (const off of offs) off();
      };
    },
  };
}

const made = new WeakMap<Room<object>, RoomStores<object>>();

/** The room's stores; the same object for the same room. */
export function roomStores<P extends object>(room: Room<P>): RoomStores<P> {
  const known = made.get(room as Room<object>);
  if (known !== undefined) return known as unknown as RoomStores<P>;
  const stores: RoomStores<P> = Object.freeze({
    others: roomReadable(room, ["others"], room.getOthers),
    users: roomReadable(room, ["others"], room.getUsers),
    self: roomReadable(room, ["my-presence", "status", "others"], room.getSelf),
    presence: roomReadable(room, ["my-presence"], room.getPresence),
    status: roomReadable(room, ["status"], room.getStatus),
    occupancy: roomReadable(room, ["occupancy", "status", "others"], room.getOccupancy),
  });
  made.set(room as Room<object>, stores as unknown as RoomStores<object>);
  return stores;
}
