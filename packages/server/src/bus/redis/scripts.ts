// The Redis bus's Lua scripts. Each touches only the keys of one room (one hash
// tag, so one cluster slot) and declares all of them — the wake-up channel too —
// in KEYS, which Redis Cluster requires of scripts. They are registered with
// ioredis `defineCommand`: EVALSHA, falling back to EVAL after NOSCRIPT (a Redis
// restart or failover), so nothing has to be loaded on each master beforehand
// (the rejected alternative, a Redis FUNCTION library, would have to be).
// Times come from Redis `TIME`, never from a pod's clock, so pods with skewed
// clocks agree on who is stale.
import type { Cluster, Redis } from "ioredis";

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Appends one flush of a room to its stream and wakes its readers, atomically.
 * KEYS: stream, wake channel, state hash, seen set.
 * ARGV: maxlen, ttl ms, origin pod, ts, cid, d, inline (1: the wake-up carries d),
 *       n, n connection ids to mark seen (enters),
 *       m, m (connection id, stored state) pairs to write (enters),
 *       k, k connection ids whose state and last-seen go (leaves).
 * Returns the entry id. The wake-up message is "<entry id> <origin>[ <d>]".
 */
const APPEND = `${NOW}
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'cid', ARGV[5], 'd', ARGV[6], 'ts', ARGV[4], 'o', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local i = 8
local n = tonumber(ARGV[i]); i = i + 1
for j = 1, n do redis.call('ZADD', KEYS[4], now, ARGV[i]); i = i + 1 end
local m = tonumber(ARGV[i]); i = i + 1
for j = 1, m do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]); i = i + 2 end
if n + m > 0 then
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
  redis.call('PEXPIRE', KEYS[4], ARGV[2])
end
local k = tonumber(ARGV[i]); i = i + 1
for j = 1, k do
  redis.call('ZREM', KEYS[4], ARGV[i])
  redis.call('HDEL', KEYS[3], ARGV[i])
  i = i + 1
end
if ARGV[7] == '1' then
  redis.call('SPUBLISH', KEYS[2], id .. ' ' .. ARGV[3] .. ' ' .. ARGV[6])
else
  redis.call('SPUBLISH', KEYS[2], id .. ' ' .. ARGV[3])
end
return id`;

/** Up to this many stale candidates are returned per call (the rest next second). */
export const MAX_STALE_PER_CALL = 100;

const STALE_CANDIDATES = `
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. (now - tonumber(ARGV[3])), 'LIMIT', 0, ${MAX_STALE_PER_CALL})
local candidates = {}
for _, cid in ipairs(stale) do
  candidates[#candidates + 1] = cid
  candidates[#candidates + 1] = redis.call('HGET', KEYS[2], cid) or ''
end`;

/**
 * The once-a-second work of a room with live connections on this pod.
 * KEYS: stream, state hash, seen set.
 * ARGV: group (pod id), ttl ms, expiry ms, n, n live connection ids, m, m (id, state) pairs.
 * Refreshes last-seen of the live ones, writes the changed states, makes sure the
 * pod's consumer group exists (creating it at 0 when it does not: a FLUSHALL, or
 * keys that expired), and returns {groupCreated, live ids missing from the state
 * hash (expired elsewhere, or flushed), stale candidates as (id, stored state)}.
 */
const TOUCH = `${NOW}
local created = 0
local r = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
if type(r) == 'table' and r.err == nil then created = 1 end
local i = 4
local n = tonumber(ARGV[i]); i = i + 1
local liveAt = i
i = i + n
local m = tonumber(ARGV[i]); i = i + 1
local written = {}
for j = 1, m do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  written[ARGV[i]] = true
  i = i + 2
end
local missing = {}
for j = 0, n - 1 do
  local cid = ARGV[liveAt + j]
  redis.call('ZADD', KEYS[3], now, cid)
  if not written[cid] and redis.call('HEXISTS', KEYS[2], cid) == 0 then missing[#missing + 1] = cid end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
${STALE_CANDIDATES}
return {created, missing, candidates}`;

/**
 * Expires stale connections: for each candidate still stale, removes its
 * last-seen and state and appends its `expired` leave, all atomically, so two
 * sweeping pods never both emit it and a crash cannot lose it half-done.
 * KEYS: stream, wake channel, state hash, seen set.
 * ARGV: maxlen, ttl ms, expiry ms, origin, ts, then (connection id, d) pairs.
 * Returns how many were expired.
 */
const EXPIRE = `${NOW}
local cutoff = now - tonumber(ARGV[3])
local last = nil
local count = 0
for i = 6, #ARGV, 2 do
  local cid = ARGV[i]
  local score = redis.call('ZSCORE', KEYS[4], cid)
  if score and tonumber(score) < cutoff then
    redis.call('ZREM', KEYS[4], cid)
    redis.call('HDEL', KEYS[3], cid)
    last = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'cid', cid, 'd', ARGV[i + 1], 'ts', ARGV[5], 'o', ARGV[4])
    count = count + 1
  end
end
if last then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('SPUBLISH', KEYS[2], last .. ' ' .. ARGV[4])
end
return count`;

/**
 * Starts serving a room: (re)creates the pod's group a look-back before now, so
 * entries newer than the last state flush are replayed on top of the state it
 * returns, and returns {now, state hash as pairs, seen set as pairs}.
 * KEYS: stream, state hash, seen set. ARGV: group, look-back ms, ttl ms.
 */
const JOIN = `${NOW}
redis.pcall('XGROUP', 'DESTROY', KEYS[1], ARGV[1])
redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], (now - tonumber(ARGV[2])) .. '-0', 'MKSTREAM')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {now, redis.call('HGETALL', KEYS[2]), redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')}`;

/**
 * The slow sweep of one room (every few seconds, idle rooms included): reports
 * the pod's group lag, destroys groups of pods that are gone (every consumer idle
 * longer than the GC threshold: live pods read every room at least every sweep),
 * and returns stale candidates like TOUCH.
 * KEYS: stream, state hash, seen set. ARGV: own group, gc idle ms, expiry ms.
 * Returns {own group exists (0/1), lag (-1 unknown), destroyed groups, candidates}.
 */
const MAINTAIN = `${NOW}
local own = 0
local lag = -1
local destroyed = {}
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
if type(groups) == 'table' and groups.err == nil then
  for _, g in ipairs(groups) do
    local name = nil
    local glag = nil
    for k = 1, #g, 2 do
      if g[k] == 'name' then name = g[k + 1] elseif g[k] == 'lag' then glag = g[k + 1] end
    end
    if name == ARGV[1] then
      own = 1
      if glag then lag = glag end
    elseif name then
      local consumers = redis.call('XINFO', 'CONSUMERS', KEYS[1], name)
      local alive = #consumers == 0
      for _, c in ipairs(consumers) do
        for k = 1, #c, 2 do
          if c[k] == 'idle' and c[k + 1] < tonumber(ARGV[2]) then alive = true end
        end
      end
      if not alive then
        redis.call('XGROUP', 'DESTROY', KEYS[1], name)
        destroyed[#destroyed + 1] = name
      end
    end
  end
end
${STALE_CANDIDATES}
return {own, lag, destroyed, candidates}`;

type Arg = string | number | Buffer;

/** The commands the bus uses, on a single Redis or a Cluster, with its scripts defined. */
export interface BusRedis {
  presenceAppend(...args: Arg[]): Promise<string>;
  presenceTouchBuffer(...args: Arg[]): Promise<[number, Buffer[], Buffer[]]>;
  presenceExpire(...args: Arg[]): Promise<number>;
  presenceJoinBuffer(...args: Arg[]): Promise<[number, Buffer[], Buffer[]]>;
  presenceMaintainBuffer(...args: Arg[]): Promise<[number, number, Buffer[], Buffer[]]>;
  xreadgroupBuffer(...args: Arg[]): Promise<[Buffer, [Buffer, Buffer[] | null][]][] | null>;
  xack(key: string, group: string, ...ids: string[]): Promise<number>;
  hmgetBuffer(key: string, ...fields: string[]): Promise<(Buffer | null)[]>;
  xgroup(...args: Arg[]): Promise<unknown>;
}

/** Defines the bus's scripts on a client and returns it with their typed names. */
export function defineBusScripts(client: Redis | Cluster): BusRedis {
  client.defineCommand("presenceAppend", { numberOfKeys: 4, lua: APPEND });
  client.defineCommand("presenceTouch", { numberOfKeys: 3, lua: TOUCH });
  client.defineCommand("presenceExpire", { numberOfKeys: 4, lua: EXPIRE });
  client.defineCommand("presenceJoin", { numberOfKeys: 3, lua: JOIN });
  client.defineCommand("presenceMaintain", { numberOfKeys: 3, lua: MAINTAIN });
  return client as unknown as BusRedis;
}
