/** Station's own Lua scripts next to BullMQ's: each does in one atomic round trip what took several. */
/**
 * Reserves a slot for a new job, atomically across instances: refuses when the queue's unfinished
 * jobs (BullMQ's waiting, paused, delayed, prioritized, waiting-children and active, plus other
 * instances' reservations not yet added) reach the capacity; otherwise records the id (its queue
 * and runAt, so a repeat of the id is seen at once) and a reservation the caller drops once BullMQ
 * holds the job. A reservation left by an instance that died in between lapses after ARGV[5] ms.
 *   KEYS: queue-of hash, the job's meta hash, reservations zset, then BullMQ's
 *         wait, paused, delayed, prioritized, waiting-children, active
 *   ARGV: id, queue name, capacity, now, reservation lifetime ms, runAt
 *   Reply: {1} accepted, {0, unfinished} full, {-1} the id exists
 */
export const reserveSlotScript = `
if redis.call("HEXISTS", KEYS[1], ARGV[1]) == 1 then return {-1} end
local now = tonumber(ARGV[4])
redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", now - tonumber(ARGV[5]))
local unfinished = redis.call("LLEN", KEYS[4]) + redis.call("LLEN", KEYS[5]) + redis.call("ZCARD", KEYS[6])
  + redis.call("ZCARD", KEYS[7]) + redis.call("ZCARD", KEYS[8]) + redis.call("LLEN", KEYS[9]) + redis.call("ZCARD", KEYS[3])
if unfinished >= tonumber(ARGV[3]) then return {0, unfinished} end
redis.call("ZADD", KEYS[3], now, ARGV[1])
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
redis.call("HSET", KEYS[2], "runAt", ARGV[6])
return {1}
`;

/**
 * Clears a claim's lease only while `token` is still the job's claim, so a settle that lost the
 * job never erases the lease of the claim that replaced it; then sets the given fields.
 *   KEYS: the job's meta hash, leases zset   ARGV: id, token, field, value, field, value...
 */
export const clearLeaseScript = `
if redis.call("HGET", KEYS[1], "leaseToken") ~= ARGV[2] then return 0 end
redis.call("HDEL", KEYS[1], "leaseToken", "leaseExpiresAt")
redis.call("ZREM", KEYS[2], ARGV[1])
if #ARGV > 2 then redis.call("HSET", KEYS[1], unpack(ARGV, 3)) end
return 1
`;

/**
 * A claim's bookkeeping in one step: counts the attempt, stamps the first start, records the
 * lease, and returns the job's hash as it now stands.
 *   KEYS: the job's meta hash, leases zset   ARGV: id, token, now, leaseExpiresAt
 */
export const takeClaimScript = `
redis.call("HINCRBY", KEYS[1], "attempts", 1)
redis.call("HSETNX", KEYS[1], "startedAt", ARGV[3])
redis.call("HSET", KEYS[1], "leaseToken", ARGV[2], "leaseExpiresAt", ARGV[4])
redis.call("ZADD", KEYS[2], ARGV[4], ARGV[1])
return redis.call("HGETALL", KEYS[1])
`;
