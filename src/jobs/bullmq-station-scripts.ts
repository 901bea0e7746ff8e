/** Station's own Lua scripts next to BullMQ's: each does in one atomic round trip what took several. */
/**
 * Reserves a slot for a new job, atomically across instances: refuses when the queue's unfinished
 * jobs (BullMQ's waiting, paused, delayed, prioritized, waiting-children and active, plus other
 * instances' reservations not yet added) reach the capacity; otherwise records the id (its queue,
 * so a repeat of the id is seen at once) and a reservation the caller drops once BullMQ holds the
 * job. A reservation left by an instance that died in between lapses after ARGV[5] ms.
 *   KEYS: queue-of hash, reservations zset, then BullMQ's
 *         wait, paused, delayed, prioritized, waiting-children, active
 *   ARGV: id, queue name, capacity, now, reservation lifetime ms
 *   Reply: {1} accepted, {0, unfinished} full, {-1} the id exists
 */
export const reserveSlotScript = `
if redis.call("HEXISTS", KEYS[1], ARGV[1]) == 1 then return {-1} end
local now = tonumber(ARGV[4])
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", now - tonumber(ARGV[5]))
local unfinished = redis.call("LLEN", KEYS[3]) + redis.call("LLEN", KEYS[4]) + redis.call("ZCARD", KEYS[5])
  + redis.call("ZCARD", KEYS[6]) + redis.call("ZCARD", KEYS[7]) + redis.call("LLEN", KEYS[8]) + redis.call("ZCARD", KEYS[2])
if unfinished >= tonumber(ARGV[3]) then return {0, unfinished} end
redis.call("ZADD", KEYS[2], now, ARGV[1])
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
return {1}
`;

/**
 * Takes back a follow-up this claim parked when the claim turned out stale (its completion was
 * refused): only while it is still parked (delayed) and its data names this claim (ARGV[2] is
 * the exact "parkedBy" JSON member), so a follow-up another claim added is never touched. A
 * parked job has no lock, parent or dependencies: its hash, logs and place in the delayed set
 * are all BullMQ keeps of it.
 *   KEYS: BullMQ's delayed zset, the job's hash, queue-of hash   ARGV: BullMQ id, parkedBy member, Station id
 *   Reply: 1 removed, 0 left alone
 */
export const removeStaleParkedScript = `
if not redis.call("ZSCORE", KEYS[1], ARGV[1]) then return 0 end
local data = redis.call("HGET", KEYS[2], "data")
if not data or not string.find(data, ARGV[2], 1, true) then return 0 end
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("DEL", KEYS[2], KEYS[2] .. ":logs")
redis.call("HDEL", KEYS[3], ARGV[3])
return 1
`;

/**
 * The lease sweep's look at one queue, in one round trip however many jobs run: the ids of the
 * active jobs whose lease ended before the cutoff. A lease ends at Station's lease field when
 * set (a heartbeat, another length), else at BullMQ's `processedOn` plus the default lease. A
 * job's data (a caption's image) is never read here: only the ids of the expired come back.
 *   KEYS: BullMQ's active list   ARGV: the queue's key prefix ("<prefix>:<queue>:"), cutoff,
 *         default lease ms, Station's lease field
 *   Reply: BullMQ ids
 */
export const expiredLeasesScript = `
local cutoff = tonumber(ARGV[2])
local defaultLease = tonumber(ARGV[3])
local expired = {}
for _, id in ipairs(redis.call("LRANGE", KEYS[1], 0, -1)) do
  local fields = redis.call("HMGET", ARGV[1] .. id, ARGV[4], "processedOn")
  local leaseEnd = tonumber(fields[1])
  if leaseEnd == nil then leaseEnd = (tonumber(fields[2]) or 0) + defaultLease end
  if leaseEnd < cutoff then expired[#expired + 1] = id end
end
return expired
`;
