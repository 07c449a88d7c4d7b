// Decoding of the revision-3 and -4 entry shapes that name a connection by its
// alias (PROTOCOL.md §4 "Revision 3", "Revision 4"): each is expanded to the
// revision-2 entry it stands for — alias → connectionId and epoch, a compact or
// ratio move → an update of the cursor —
// and then read by the codec's own entry decoder, so both revisions are checked
// by the same code and replicas never see an alias.
import type { EntryAliasTable } from "./entry-aliases.js";
import { MAX_RATIO_DENOMINATOR } from "./limits.js";
import { malformed } from "./wire-fields.js";

/** The update a move stands for: base = clock − 1, set = {cursor: {x, y}} and rest, del = []. */
function moveUpdate(
  connectionId: string,
  epoch: number,
  clock: number,
  x: unknown,
  y: unknown,
  rest: unknown,
) {
  if (!(rest instanceof Map) || rest.has(0)) malformed("bad move");
  return [1, connectionId, epoch, clock - 1, clock, new Map([[0, [x, y]], ...rest]), []];
}

/** [d, xn, yn] of a ratio move as the coordinates xn / d, yn / d (exact: the encoder checked the division). */
function ratioCoordinates(d: unknown, xn: unknown, yn: unknown): [number, number] {
  if (!Number.isInteger(d) || (d as number) < 1 || (d as number) > MAX_RATIO_DENOMINATOR)
    malformed("bad ratio move denominator");
  if (!Number.isSafeInteger(xn) || !Number.isSafeInteger(yn)) malformed("bad ratio move numerator");
  return [(xn as number) / (d as number) || 0, (yn as number) / (d as number) || 0];
}

/** The revision-2 form of an entry whose element 1 is an alias. */
export function expandAliased(e: unknown[], table: EntryAliasTable): unknown[] {
  const kind = e[0];
  const alias = e[1] as number; // a number (the codec's test); table.resolve refuses any it does not hold
  const { connectionId, epoch } = table.resolve(alias);
  // The codec checks base (clock − 1) and clock as unsigned integers, and the coordinates as numbers.
  const clock = e[2] as number;
  // [4, alias, clock, x, y, rest?]
  if (kind === 4) return moveUpdate(connectionId, epoch, clock, e[3], e[4], e.length > 5 ? e[5] : new Map());
  if (kind === 5) {
    // [5, alias, clock, d, xn, yn, rest?]: x = xn / d, y = yn / d
    const [x, y] = ratioCoordinates(e[3], e[4], e[5]);
    return moveUpdate(connectionId, epoch, clock, x, y, e.length > 6 ? e[6] : new Map());
  }
  // A leave or hide ends what the alias names here: the server announces it again before naming it.
  if (kind !== 1) table.forget(alias);
  // [1, alias, base, clock, set, del], [2, alias, clock, reason], [3, alias]; other kinds the codec refuses.
  return kind === 3 ? [3, connectionId] : [kind, connectionId, epoch, ...e.slice(2)];
}
