// A room's wake-ups (docs/SCALING.md#pod-and-redis-the-rules): "<entry id> <origin>[ <d>]" published by the
// append script. An own wake-up only marks the room's own entries unread (read
// lazily by the tick, redis-bus.ts ownReadMs); one without payload reads the
// stream now; one with payload is applied on arrival (wake-ledger.ts) and the
// stream is read and acknowledged lazyReadMs later.
import type { TimerHandle } from "../../ops/clock.js";
import type { RoomDelivery } from "./room-delivery.js";
import type { RoomReader } from "./room-reader.js";
import { isStopped, type RoomSyncContext } from "./room-sync-context.js";
import { joinedPhase, moveTo } from "./room-sync-phase.js";
import { decodeStreamBatch } from "./stream-codec.js";
import type { WakeLedger } from "./wake-ledger.js";

export interface RoomWake {
  /** A wake-up: entry `id` written by `origin`, with its `d` when small enough to ride along. */
  onWake(id: string, origin: string, payload: Buffer | undefined): void;
  stop(): void;
}

export function createRoomWake(
  ctx: RoomSyncContext,
  parts: { readonly reader: RoomReader; readonly delivery: RoomDelivery; readonly ledger: WakeLedger },
): RoomWake {
  const { reader, delivery, ledger } = parts;
  let lazyRead: TimerHandle | undefined;
  return {
    onWake(id, origin, payload) {
      if (ctx.phase.kind !== "joined") return;
      if (origin === ctx.config.podId) {
        if (!ctx.phase.ownUnread) ctx.phase = moveTo(ctx.phase, joinedPhase(true));
        return;
      }
      if (payload === undefined) {
        reader.wake();
        return;
      }
      if (!ledger.isNew(id)) return;
      try {
        // Applied now; read and acknowledged lazily. An entry that revealed a gap is
        // not marked applied, so the read delivers it again, in order, after what it missed.
        if (delivery.deliver(decodeStreamBatch(payload), origin)) ledger.applied(id);
      } catch (err) {
        ctx.onError(err, `bad wake-up payload on ${ctx.keys.wake}`);
      }
      lazyRead ??= ctx.clock.setTimeout(() => {
        lazyRead = undefined;
        if (!isStopped(ctx)) reader.wake();
      }, ctx.config.lazyReadMs);
    },
    stop() {
      if (lazyRead !== undefined) ctx.clock.clearTimeout(lazyRead);
    },
  };
}
