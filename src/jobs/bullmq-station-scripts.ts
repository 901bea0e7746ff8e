/** Station's own Lua scripts next to BullMQ's: each does in one atomic round trip what took several. */
/**
 * Reserves a slot for a new job, atomically across instances: refuses when the queue's unfinished
 * jobs (BullMQ's waiting, paused, delayed, prioritized, waiting-children and active, plus other
 * instances' reservations not yet added) reach the capacity; otherwise records the id (its queue,
 * so a repeat of the id is seen at once) and a reservation (by BullMQ id) that lasts until BullMQ
 * holds the job. Reservations whose job BullMQ now holds are dropped here, before counting (it
 * counts them itself): the caller sends nothing to drop its own. A reservation left by an instance
 * that died before adding its job lapses after ARGV[5] ms.
 *   KEYS: queue-of hash, reservations zset, then BullMQ's
 *         wait, paused, delayed, prioritized, waiting-children, active
 *   ARGV: id, queue name, capacity, now, reservation lifetime ms, BullMQ id, the queue's key prefix
 *   Reply: {1} accepted, {0, unfinished} full, {-1} the id exists
 */
export const reserveSlotScript = `
if redis.call("HEXISTS", KEYS[1], ARGV[1]) == 1 then return {-1} end
local now = tonumber(ARGV[4])
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", now - tonumber(ARGV[5]))
for _, reserved in ipairs(redis.call("ZRANGE", KEYS[2], 0, -1)) do
  if redis.call("EXISTS", ARGV[7] .. reserved) == 1 then redis.call("ZREM", KEYS[2], reserved) end
end
local unfinished = redis.call("LLEN", KEYS[3]) + redis.call("LLEN", KEYS[4]) + redis.call("ZCARD", KEYS[5])
  + redis.call("ZCARD", KEYS[6]) + redis.call("ZCARD", KEYS[7]) + redis.call("LLEN", KEYS[8]) + redis.call("ZCARD", KEYS[2])
if unfinished >= tonumber(ARGV[3]) then return {0, unfinished} end
redis.call("ZADD", KEYS[2], now, ARGV[6])
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

/**
 * Releases a follow-up its claim parked, the claim's completion stored: what BullMQ's promote does
 * for a job of no priority (out of delayed, to the front of wait, the marker that wakes a blocked
 * worker unless the queue is paused or at its concurrency, the "waiting" event, its delay zeroed)
 * plus, in the same step, its queue in queue-of and the claim's name taken out of its data
 * (ARGV[3], the exact "parkedBy" JSON member, becomes `"parkedBy":""`): a follow-up that still
 * names its claim when a worker takes it was released by its park's end, not here (the process
 * died between the completion and this script), and the worker records its queue then.
 * A follow-up no longer delayed (released already, or there before this claim parked it) is left
 * where it is.
 *   KEYS: BullMQ's delayed, wait, meta, active, marker, events; queue-of hash
 *   ARGV: BullMQ id, the queue's key prefix, parkedBy member, Station id, queue name
 *   Reply: 1 released, 0 not delayed
 */
export const unparkScript = `
redis.call("HSET", KEYS[7], ARGV[4], ARGV[5])
if redis.call("ZREM", KEYS[1], ARGV[1]) == 0 then return 0 end
local jobKey = ARGV[2] .. ARGV[1]
local data = redis.call("HGET", jobKey, "data")
if data then
  local from, to = string.find(data, ARGV[3], 1, true)
  if from then redis.call("HSET", jobKey, "data", string.sub(data, 1, from - 1) .. '"parkedBy":""' .. string.sub(data, to + 1)) end
end
redis.call("LPUSH", KEYS[2], ARGV[1])
local queue = redis.call("HMGET", KEYS[3], "paused", "concurrency")
local maxed = queue[1] or (queue[2] and redis.call("LLEN", KEYS[4]) >= tonumber(queue[2]))
if not maxed then redis.call("ZADD", KEYS[5], 0, "0") end
redis.call("XADD", KEYS[6], "*", "event", "waiting", "jobId", ARGV[1], "prev", "delayed")
redis.call("HSET", jobKey, "delay", 0)
return 1
`;

/**
 * Clears the way for a later claim's follow-up (its job claimed before, so an earlier claim may
 * have parked one of the same id and then died before its completion, or be a stale claim still
 * settling): removes the follow-up when its data names a claim other than ARGV[2] (the last,
 * "parkedBy" member, as `add` writes it) and it is not finished: delayed (parked), waiting (its
 * park lapsed) or active (a worker just took it; its lock goes too, so that worker's
 * lapsedParkScript finds its claim gone and does not deliver). A released follow-up
 * (`"parkedBy":""`), one without the member (a cancel's) and a finished one are left alone.
 * Only while the caller holds its job's lock (ARGV[4] "1": KEYS[6] is ARGV[2]): a stale claim
 * still alive (its lock lapsed or taken over) must not remove the current claim's parked one.
 *   KEYS: BullMQ's delayed, wait, active; the job's hash, queue-of hash, the parent job's lock
 *   ARGV: BullMQ id, this claim's token, Station id, "1" to check the lock (a cancel: "0")
 *   Reply: 1 removed (add yours again), 0 present and not another claim's, -1 absent (add yours)
 */
export const removeForeignParkedScript = `
if ARGV[4] == "1" and redis.call("GET", KEYS[6]) ~= ARGV[2] then return 0 end
local data = redis.call("HGET", KEYS[4], "data")
if not data then return -1 end
local by = string.match(data, '"parkedBy":"([^"]*)"}$')
if by == nil or by == "" or by == ARGV[2] then return 0 end
local removed = redis.call("ZREM", KEYS[1], ARGV[1]) + redis.call("LREM", KEYS[2], 0, ARGV[1]) + redis.call("LREM", KEYS[3], 0, ARGV[1])
if removed == 0 then return 0 end
redis.call("DEL", KEYS[4], KEYS[4] .. ":logs", KEYS[4] .. ":lock")
redis.call("HDEL", KEYS[5], ARGV[3])
return 1
`;

/**
 * A worker's take of a follow-up whose park lapsed (its data still names the claim that parked
 * it): that claim's process died after parking, before or after its completion. Delivered (its
 * queue recorded) only while the worker still holds it (ARGV[2], its lock: a later claim's
 * removeForeignParkedScript removes it, lock and all) and its parent is finished (in BullMQ's
 * completed or failed set; the parent's queue from queue-of): the parker's completion was stored
 * then, since a later claim removes foreign follow-ups before its own completion. Otherwise it
 * is a stale attempt's (its parent still queued or running, to be re-run, or failed by the lease
 * sweep: its error's code is ARGV[9], and the sweep enqueues the failure's own follow-up):
 * removed, not run.
 *   KEYS: the job's hash, BullMQ's active list of its queue, queue-of hash
 *   ARGV: BullMQ id, the worker's token, Station id, queue name, parent's Station id (may be
 *         ""), parent's BullMQ id, key prefix ("<prefix>:"), Station's error field, the lease
 *         failure's `"code":"…"` member
 *   Reply: 1 deliver, 0 removed (or gone)
 */
export const lapsedParkScript = `
local lock = KEYS[1] .. ":lock"
if redis.call("GET", lock) ~= ARGV[2] then return 0 end
local finished = ARGV[5] == ""
if not finished then
  local parentQueue = redis.call("HGET", KEYS[3], ARGV[5])
  if parentQueue then
    local base = ARGV[7] .. parentQueue .. ":"
    if redis.call("ZSCORE", base .. "completed", ARGV[6]) then
      finished = true
    elseif redis.call("ZSCORE", base .. "failed", ARGV[6]) then
      local failure = redis.call("HGET", base .. ARGV[6], ARGV[8])
      finished = not (failure and string.find(failure, ARGV[9], 1, true))
    end
  end
end
if finished then
  redis.call("HSET", KEYS[3], ARGV[3], ARGV[4])
  return 1
end
redis.call("LREM", KEYS[2], 0, ARGV[1])
redis.call("DEL", KEYS[1], KEYS[1] .. ":logs", lock)
return 0
`;
