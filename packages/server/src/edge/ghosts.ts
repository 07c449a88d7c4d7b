// Ghosts (docs/ARCHITECTURE.md#the-edge): a connection that dropped without a
// goodbye (close code other than 1000/1001) stays visible to its room for a grace
// period, so its reconnect takes the entry over without a leave/enter flicker. The
// room is held open meanwhile; if nobody takes the id over, `expire` runs.
import type { Clock, TimerHandle } from "../ops/clock.js";

/** What a ghost holds open: a room that counts holds and can go idle. */
export interface GhostRoom {
  readonly roomId: string;
  holds: number;
  checkIdle(): void;
}

export interface Ghosts {
  /** Keeps `connectionId` visible in `room` for the grace period, then runs `expire`. */
  hold(room: GhostRoom, connectionId: string, expire: () => void): void;
  /** The id was taken over (a reconnect): no expiry. */
  cancel(room: GhostRoom, connectionId: string): void;
  /** Shutdown: drops every ghost without expiring it. */
  clear(): void;
  readonly size: number;
}

export function createGhosts(clock: Clock, graceMs: number): Ghosts {
  const ghosts = new Map<string, { readonly room: GhostRoom; readonly timer: TimerHandle }>();
  const keyOf = (room: GhostRoom, cid: string) => `${room.roomId}\n${cid}`;
  return {
    hold(room, connectionId, expire) {
      const key = keyOf(room, connectionId);
      room.holds++;
      const timer = clock.setTimeout(() => {
        ghosts.delete(key);
        room.holds--;
        expire();
        room.checkIdle();
      }, graceMs);
      ghosts.set(key, { room, timer });
    },
    cancel(room, connectionId) {
      const key = keyOf(room, connectionId);
      const ghost = ghosts.get(key);
      if (!ghost) return;
      clock.clearTimeout(ghost.timer);
      ghosts.delete(key);
      ghost.room.holds--;
    },
    clear() {
      for (const ghost of ghosts.values()) clock.clearTimeout(ghost.timer);
      ghosts.clear();
    },
    get size() {
      return ghosts.size;
    },
  };
}
