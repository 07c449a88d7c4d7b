// Redis key names of a room (docs/SCALING.md#pod-and-redis-the-rules, a fixed contract). The braces are literal:
// they are the Redis Cluster hash tag, so every key of one room — stream, state,
// last-seen set and wake-up channel — hashes to the same slot, and one script can
// touch them all on a cluster.

/** The room's update stream: fields `cid`, `d`, `ts`, `o`; trimmed with `MAXLEN ~ STREAM_MAXLEN`. */
export function streamKey(roomId: string): string {
  return `presence-{${roomId}}`;
}

/** connectionId → MsgPack versioned state (see stream-codec.ts), flushed about once a second. */
export function stateKey(roomId: string): string {
  return `presence-{${roomId}}:state`;
}

/** Sorted set connectionId → last-seen ms, from Redis `TIME` (never a pod's clock). */
export function seenKey(roomId: string): string {
  return `presence-{${roomId}}:seen`;
}

/** Sharded pub/sub channel carrying the id of each new stream entry: the live wake-up. */
export function wakeChannel(roomId: string): string {
  return `presence-{${roomId}}:wake`;
}

const WAKE_PREFIX = "presence-{";
const WAKE_SUFFIX = "}:wake";

/** The room of a wake-up channel name, or undefined for any other channel. */
export function roomOfWakeChannel(channel: string): string | undefined {
  if (!channel.startsWith(WAKE_PREFIX) || !channel.endsWith(WAKE_SUFFIX)) return undefined;
  return channel.slice(WAKE_PREFIX.length, channel.length - WAKE_SUFFIX.length);
}
