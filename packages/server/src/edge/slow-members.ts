// Members whose sockets do not keep up, and the snapshots members are owed
// (docs/ARCHITECTURE.md#the-edge). A member over the back-pressure mark is taken
// out of the room's fan-out and gets a private coalesced backlog; a poll every
// LAG_POLL_MS writes the backlog once the socket drains. After BACKLOG_DROP_MS
// of backlog it is dropped for a fresh snapshot instead. Snapshots are owed, not
// queued: one per member at most (the latest syncId wins), written when the
// socket keeps up and the member's snapshot byte budget allows
// (docs/SECURITY.md#amplification). A slow reader never delays the room.
import { drainQueue } from "../limits/coalesce.js";
import type { Clock, TimerHandle } from "../ops/clock.js";
import type { ServerStats } from "../ops/metrics.js";
import type { EntryAliases } from "./entry-aliases.js";
import type { MemberSnapshots } from "./member-snapshots.js";
import { type RoomMember, sendToMember } from "./room-member.js";
import { keepsUp } from "./socket-writes.js";

/** A backlog older than this is dropped for a fresh snapshot, ms (docs/ARCHITECTURE.md#the-edge). */
export const BACKLOG_DROP_MS = 1000;
/** How often lagging sockets are checked for drain, ms. */
export const LAG_POLL_MS = 20;

export interface SlowMembersOptions<M extends RoomMember> {
  readonly members: ReadonlyMap<string, M>;
  readonly snapshots: MemberSnapshots<M>;
  /** Encodes a backlog for the member's revision (entry-aliases.ts). */
  readonly aliases: EntryAliases;
  readonly stats: ServerStats;
  /** Monotonic clock, ms (how old a backlog is). */
  readonly now: () => number;
  /** Runs the drain poll. */
  readonly clock: Pick<Clock, "setInterval" | "clearInterval">;
}

export interface SlowMembers<M extends RoomMember> {
  /** Fan-out found the member's socket behind: it leaves the room's fan-out until it keeps up. */
  skip(member: M): void;
  /**
   * Owes the member a snapshot: written now when it keeps up and has budget,
   * else by the poll. A client's syncId replaces an owed one (the SDK waits
   * only for its latest request); a server-initiated 0 never replaces a client's.
   */
  owe(member: M, syncId: number): void;
  /** The member left the room. */
  forget(member: M): void;
  /** Entries waiting in slow members' backlogs. */
  backlog(): number;
  close(): void;
}

export function createSlowMembers<M extends RoomMember>(options: SlowMembersOptions<M>): SlowMembers<M> {
  const { members, snapshots, stats, now, clock } = options;
  let lagging = 0;
  let poll: TimerHandle | undefined;

  const start = (member: M): void => {
    member.lag = new Map();
    member.lagSince = now();
    lagging++;
    poll ??= clock.setInterval(check, LAG_POLL_MS);
  };

  /** Brings back every member that keeps up again; stops polling when none lags. */
  function check(): void {
    const t = now();
    for (const m of members.values()) if (m.lag !== undefined && catchUp(options, m, t)) lagging--;
    if (lagging <= 0 && poll !== undefined) {
      lagging = 0;
      clock.clearInterval(poll);
      poll = undefined;
    }
  }

  return {
    skip(member) {
      stats.slowSocketSkips++;
      start(member);
    },
    owe(member, syncId) {
      if (member.snapshotDue === undefined || syncId !== 0) member.snapshotDue = syncId;
      if (member.lag !== undefined) return;
      if (snapshots.mayWrite(member)) snapshots.write(member, syncId);
      else start(member);
    },
    forget(member) {
      if (member.lag !== undefined) lagging--;
      member.lag = undefined;
    },
    backlog() {
      let n = 0;
      for (const m of members.values()) if (m.lag) n += m.lag.size;
      return n;
    },
    close() {
      // `poll` keeps its (cleared) handle: a member lagging after the room closed starts no new poll.
      if (poll !== undefined) clock.clearInterval(poll);
    },
  };
}

/**
 * One lagging member at a poll: a backlog older than BACKLOG_DROP_MS becomes an
 * owed snapshot; once the member keeps up (and, for a snapshot, has budget) it
 * gets its snapshot, else its backlog, and is back in the room's fan-out (true).
 */
function catchUp<M extends RoomMember>(options: SlowMembersOptions<M>, m: M, t: number): boolean {
  const { snapshots, stats } = options;
  const lag = m.lag;
  if (lag === undefined) return false;
  if (m.snapshotDue === undefined && t - m.lagSince > BACKLOG_DROP_MS) {
    lag.clear();
    m.snapshotDue = 0;
    stats.backlogResets++;
  }
  const due = m.snapshotDue;
  if (due !== undefined ? !snapshots.mayWrite(m) : !keepsUp(m.ws)) return false;
  m.lag = undefined;
  if (due !== undefined) snapshots.write(m, due);
  else {
    const entries = drainQueue(lag);
    if (entries.length > 0)
      // Leaves by id: the backlog may hold a leave coalesced over an enter this member was never sent.
      sendToMember(stats, m, options.aliases.batchFrame(entries, m.rev, true), entries.length);
  }
  return true;
}
