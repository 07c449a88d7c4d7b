// Decoding of the revision-3 entry shapes that name a connection by its alias
// (PROTOCOL.md §4 "Revision 3"): update, leave, hide and the compact move. The
// result is the same entry a revision-2 frame decodes to, with the full
// connectionId and epoch, so replicas never see an alias.
import { setOwn } from "./json.js";
import type { ClientBatchEntry, LeaveReason } from "./messages.js";
import type { EntryAliasTable } from "./entry-aliases.js";
import type { PresenceData } from "./presence-types.js";
import { stateFromWire } from "./state-codec.js";
import { field, keys, malformed, num, quote, uint } from "./wire-fields.js";

export const ENTRY_MOVE = 4;
const REASONS: readonly LeaveReason[] = ["left", "expired"];

/** `[4, alias, clock, x, y, rest?]`: set = {cursor: {x, y}} plus rest, del = [], base = clock − 1. */
function moveSet(e: unknown[]): PresenceData {
  const set: Record<string, unknown> = { cursor: { x: num(field(e, 3), "x"), y: num(field(e, 4), "y") } };
  if (e.length > 5) {
    const rest = stateFromWire(e[5]);
    for (const key of Object.keys(rest)) {
      if (key === "cursor") malformed("a move's other fields repeat the cursor");
      setOwn(set, key, rest[key]);
    }
  }
  return set as PresenceData;
}

/** An entry whose element 1 is an alias (a number), resolved through the socket's table. */
export function aliasedEntryFromWire(e: unknown[], table: EntryAliasTable): ClientBatchEntry {
  const kind = field(e, 0);
  const alias = uint(field(e, 1), "alias");
  const { connectionId, epoch } = table.resolve(alias);
  switch (kind) {
    case 1: {
      const base = uint(field(e, 2), "base");
      const clock = uint(field(e, 3), "clock");
      if (base >= clock) malformed("update base must be below its clock");
      return { kind: "update", connectionId, epoch, base, clock, set: stateFromWire(field(e, 4)), del: keys(field(e, 5)) };
    }
    case ENTRY_MOVE: {
      const clock = uint(field(e, 2), "clock");
      if (clock < 1) malformed("a move's clock must be at least 1");
      return { kind: "update", connectionId, epoch, base: clock - 1, clock, set: moveSet(e), del: [] };
    }
    case 2: {
      const reason = REASONS[uint(field(e, 3), "leave reason")];
      if (reason === undefined) malformed("unknown leave reason");
      const clock = uint(field(e, 2), "clock");
      table.forget(alias);
      return { kind: "leave", connectionId, epoch, clock, reason };
    }
    case 3:
      table.forget(alias);
      return { kind: "hide", connectionId };
    default:
      return malformed(`unknown batch entry kind ${quote(kind)}`);
  }
}
