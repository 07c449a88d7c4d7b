// Decoding of the revision-3 entry shapes that name a connection by its alias
// (PROTOCOL.md §4 "Revision 3"): each is expanded to the revision-2 entry it stands
// for — alias → connectionId and epoch, a compact move → an update of the cursor —
// and then read by the codec's own entry decoder, so both revisions are checked
// by the same code and replicas never see an alias.
import type { EntryAliasTable } from "./entry-aliases.js";
import { malformed } from "./wire-fields.js";

/** The revision-2 form of an entry whose element 1 is an alias. */
export function expandAliased(e: unknown[], table: EntryAliasTable): unknown[] {
  const kind = e[0];
  const alias = e[1] as number; // a number (the codec's test); table.resolve refuses any it does not hold
  const { connectionId, epoch } = table.resolve(alias);
  if (kind === 4) {
    // [4, alias, clock, x, y, rest?]: base = clock − 1, set = {cursor: {x, y}} and rest, del = []
    const clock = e[2] as number; // the codec checks base (clock − 1) and clock as unsigned integers
    const rest = e.length > 5 ? e[5] : new Map();
    if (!(rest instanceof Map) || rest.has(0)) malformed("bad move");
    return [1, connectionId, epoch, clock - 1, clock, new Map([[0, [e[3], e[4]]], ...rest]), []];
  }
  // A leave or hide ends what the alias names here: the server announces it again before naming it.
  if (kind !== 1) table.forget(alias);
  // [1, alias, base, clock, set, del], [2, alias, clock, reason], [3, alias]; other kinds the codec refuses.
  return kind === 3 ? [3, connectionId] : [kind, connectionId, epoch, ...e.slice(2)];
}
