// One person, many tabs: the room's others grouped by user (`room.getUsers()`).
// A person with three tabs is three connections but one avatar; their presence is
// that of the connection that changed last (an enter or an update), which is the
// tab they are using. The list and each group keep their identity while nothing
// in them changed, so React selectors and memoised rows stay cheap.
import type { OthersEvent, PresenceUser, User } from "./types.js";

export interface UsersView<P extends object> {
  /** Follows the room's `others` event. */
  observe(others: readonly User<P>[], event: OthersEvent<P>): void;
  get(others: readonly User<P>[]): readonly PresenceUser<P>[];
}

export function createUsersView<P extends object>(): UsersView<P> {
  /** connectionId → activity sequence number (higher = more recent). */
  const activity = new Map<string, number>();
  let seq = 0;
  let cachedFor: readonly User<P>[] | undefined;
  let cached: readonly PresenceUser<P>[] = [];
  let previous = new Map<string, PresenceUser<P>>();

  const group = (others: readonly User<P>[]): readonly PresenceUser<P>[] => {
    const byUser = new Map<string, User<P>[]>();
    for (const o of others) {
      const list = byUser.get(o.userId);
      if (list) list.push(o);
      else byUser.set(o.userId, [o]);
    }
    const next = new Map<string, PresenceUser<P>>();
    const out: PresenceUser<P>[] = [];
    for (const [userId, conns] of byUser) {
      conns.sort((a, b) => (activity.get(b.connectionId) ?? 0) - (activity.get(a.connectionId) ?? 0));
      const old = previous.get(userId);
      const same =
        old !== undefined &&
        old.connections.length === conns.length &&
        old.connections.every((c, i) => c === conns[i]);
      const user: PresenceUser<P> = same
        ? old
        : Object.freeze({
            userId,
            info: conns[0]!.info,
            connections: Object.freeze(conns),
            presence: conns[0]!,
          });
      next.set(userId, user);
      out.push(user);
    }
    previous = next;
    return Object.freeze(out);
  };

  return {
    observe(others, event) {
      if (event.type === "enter" || event.type === "update") activity.set(event.user.connectionId, ++seq);
      else if (event.type === "leave") activity.delete(event.user.connectionId);
      else {
        const live = new Set(others.map((o) => o.connectionId));
        for (const cid of activity.keys()) if (!live.has(cid)) activity.delete(cid);
      }
    },
    get(others) {
      if (others !== cachedFor) {
        cached = group(others);
        cachedFor = others;
      }
      return cached;
    },
  };
}
