#include "infra/queue/redis_queue.hpp"

#include <cerrno>
#include <charconv>
#include <chrono>

#include "infra/crypto/digest.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/queue/envelope.hpp"

namespace companion::queue {
namespace {

constexpr const char* kGroup = "workers";

// KEYS: stream, delayed, attempts, leases, fair, jobs, clock, owners. ARGV: group,
// consumer, now, deadline (now + lease), count. Due retries go back on the
// stream; then entries whose lease ran out are taken over; then new jobs
// move from the fair set onto the stream in fair order (as many as are
// wanted) and are read; each taken entry's lease deadline is written to
// the leases set. Returns {entry, id, key, payload, attempt}.
//
// Lease deadlines are the queue's clock's milliseconds, kept in a sorted
// set, and compared with the `now` the caller sends. Not XAUTOCLAIM's idle
// time: Redis measures that by its own clock, which a test cannot move
// and which differs from the application's clock. Entries pending without
// a deadline (taken by a version that used XAUTOCLAIM) are given one from
// now, so they are taken over once it passes.
constexpr const char* kClaim = R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[3], 'LIMIT', 0, 100)
for _, m in ipairs(due) do
  local j = cjson.decode(m)
  redis.call('XADD', KEYS[1], '*', 'id', j.id, 'key', j.key, 'payload', j.payload)
  redis.call('ZREM', KEYS[2], m)
end
if redis.call('XPENDING', KEYS[1], ARGV[1])[1] > redis.call('ZCARD', KEYS[4]) then
  for _, p in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1000)) do
    redis.call('ZADD', KEYS[4], 'NX', ARGV[4], p[1])
  end
end
local want = tonumber(ARGV[5])
local entries = {}
for _, entry in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[3], 'LIMIT', 0, want)) do
  redis.call('ZREM', KEYS[4], entry)
  -- Nothing comes back for an entry no longer in the stream.
  local taken = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, entry)
  if taken[1] and taken[1][2] then table.insert(entries, taken[1]) end
end
if #entries < want then
  -- The next jobs in fair order go onto the stream, and the stage's
  -- virtual clock moves to the latest place taken.
  local next = redis.call('ZRANGE', KEYS[5], 0, want - #entries - 1, 'WITHSCORES')
  if #next > 0 then
    local clock = tonumber(redis.call('GET', KEYS[7]) or '0')
    for i = 1, #next, 2 do
      local id = next[i]
      local job = cjson.decode(redis.call('HGET', KEYS[6], id))
      redis.call('XADD', KEYS[1], '*', 'id', id, 'key', job.key, 'payload', job.payload)
      clock = math.max(clock, tonumber(next[i + 1]))
    end
    local ids = {}
    for i = 1, #next, 2 do table.insert(ids, next[i]) end
    redis.call('ZREM', KEYS[5], unpack(ids))
    redis.call('HDEL', KEYS[6], unpack(ids))
    redis.call('SET', KEYS[7], clock)
    -- An owner whose last place is behind the clock starts at the clock
    -- anyway: forgotten (so the set holds only owners with work queued).
    redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', '(' .. clock)
  end
  local fresh = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', want - #entries,
                           'STREAMS', KEYS[1], '>')
  if fresh then
    for _, e in ipairs(fresh[1][2]) do table.insert(entries, e) end
  end
end
local out, ids, leases = {}, {}, {}
for _, e in ipairs(entries) do
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
  table.insert(ids, f.id)
  table.insert(leases, ARGV[4])
  table.insert(leases, e[1])
  table.insert(out, {e[1], f.id, f.key, f.payload, 0})
end
-- Each job's attempt counted and its lease deadline written, one call a
-- structure for the claim, not one a job (in slices: unpack() is bounded
-- by Lua's stack).
for i = 1, #ids, 1000 do
  local j = math.min(i + 999, #ids)
  local counts = redis.call('HMGET', KEYS[3], unpack(ids, i, j))
  local attempts = {}
  for k = i, j do
    local n = (tonumber(counts[k - i + 1]) or 0) + 1
    out[k][5] = n
    table.insert(attempts, ids[k])
    table.insert(attempts, n)
  end
  redis.call('HSET', KEYS[3], unpack(attempts))
  redis.call('ZADD', KEYS[4], unpack(leases, 2 * i - 1, 2 * j))
end
return out
)lua";

// The ownership check every lease operation starts with.
constexpr const char* kOwned = R"lua(
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return 0 end
)lua";

// KEYS: stream, leases. ARGV: group, consumer, entry, deadline.
constexpr const char* kExtendTail = R"lua(
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
return 1
)lua";

// KEYS: stream, delayed, leases. ARGV: group, consumer, entry, id, key,
// payload, due.
constexpr const char* kRetryTail = R"lua(
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[7], cjson.encode({id = ARGV[4], key = ARGV[5], payload = ARGV[6]}))
return 1
)lua";

// KEYS: stream, delayed, attempts, leases. ARGV: group, consumer, entry, id,
// key, payload, now. Back on the delayed set, due now, the attempt uncounted.
constexpr const char* kReleaseTail = R"lua(
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[4], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[7], cjson.encode({id = ARGV[4], key = ARGV[5], payload = ARGV[6]}))
if redis.call('HINCRBY', KEYS[3], ARGV[4], -1) <= 0 then redis.call('HDEL', KEYS[3], ARGV[4]) end
return 1
)lua";

// KEYS: stream, dead, attempts, dedup, leases. ARGV: group, consumer, entry,
// id, key, payload, error, now.
constexpr const char* kBuryTail = R"lua(
redis.call('ZREM', KEYS[5], ARGV[3])
local attempts = redis.call('HGET', KEYS[3], ARGV[4]) or '0'
redis.call('XADD', KEYS[2], '*', 'id', ARGV[4], 'key', ARGV[5], 'payload', ARGV[6],
           'attempts', attempts, 'error', ARGV[7], 'failedAt', ARGV[8])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[4])
redis.call('DEL', KEYS[4])
return 1
)lua";

std::string text(const redisReply* r) {
  if (!r) return {};
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR)
    return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return {};
}

std::int64_t integer(const redisReply* r) {
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  std::int64_t v = 0;
  auto s = text(r);
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// The lease names this instance's consumer and the stream entry.
std::pair<std::string, std::string> split_lease(const std::string& lease) {
  auto bar = lease.find('|');
  if (bar == std::string::npos) throw QueueError("not a Redis queue lease: " + lease);
  return {lease.substr(0, bar), lease.substr(bar + 1)};
}

// A stream entry id ("<ms>-<seq>") as numbers, to order entries.
std::pair<std::uint64_t, std::uint64_t> entry_order(const std::string& entry) {
  std::pair<std::uint64_t, std::uint64_t> order;
  const auto* end = entry.data() + entry.size();
  auto [dash, ms_error] = std::from_chars(entry.data(), end, order.first);
  if (ms_error != std::errc() || dash == end || *dash != '-' ||
      std::from_chars(dash + 1, end, order.second).ec != std::errc())
    throw QueueError("not a stream entry: " + entry);
  return order;
}

}  // namespace

RedisQueue::RedisQueue(RedisSettings settings, const Clock& clock, crypto::UuidV7Generator& ids)
    : settings_(std::move(settings)),
      clock_(clock),
      ids_(ids),
      consumer_("c-" + crypto::hex_encode(crypto::random_bytes(8))) {
  try {
    address_ = redis::parse_url(settings_.url);
  } catch (const redis::RedisError& e) {
    throw QueueError(std::string("the queue URL: ") + e.what());
  }
  std::lock_guard lock(mutex_);
  connect();
}

RedisQueue::~RedisQueue() {
  if (ctx_) redisFree(ctx_);
}

void RedisQueue::connect() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
  try {
    ctx_ = redis::connect(address_, settings_.timeout).release();
  } catch (const redis::RedisError& e) {
    throw QueueError(e.what());
  }
  groups_.clear();
}

std::vector<RedisQueue::Reply> RedisQueue::round_trip(
    const std::vector<std::vector<std::string>>& commands) {
  for (int attempt = 0;; ++attempt) {
    if (!ctx_) connect();
    for (const auto& args : commands) {
      std::vector<const char*> argv;
      std::vector<size_t> lens;
      argv.reserve(args.size());
      lens.reserve(args.size());
      for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
      }
      // Only buffered here: the write happens with the first read.
      if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data()) !=
          REDIS_OK)
        throw QueueError("Redis: out of memory");
    }
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    while (replies.size() < commands.size()) {
      void* raw = nullptr;
      if (redisGetReply(ctx_, &raw) == REDIS_OK && raw) {
        replies.emplace_back(static_cast<redisReply*>(raw));
        continue;
      }
      // The connection broke (Redis restarted): once more on a new one,
      // when nothing was answered yet. Not after a timeout: the commands
      // may have run, and a claim or a retry run twice would count
      // attempts that never happened. The caller's next poll tries again.
      const int err = errno;
      const bool timed_out =
          ctx_->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT);
      std::string why = ctx_->errstr;
      redisFree(ctx_);
      ctx_ = nullptr;
      if (attempt == 0 && !timed_out && replies.empty()) break;
      throw QueueError("Redis is unreachable: " + why);
    }
    if (replies.size() == commands.size()) return replies;
  }
}

RedisQueue::Reply RedisQueue::command(const std::vector<std::string>& args) {
  auto r = std::move(round_trip({args}).front());
  if (r->type == REDIS_REPLY_ERROR) throw QueueError("Redis: " + text(r.get()));
  return r;
}

// EVALSHA: the script is sent once per Redis, not with every call.
std::vector<std::string> RedisQueue::evalsha(const std::string& source,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) {
  auto& sha = shas_[source];
  if (sha.empty()) {
    crypto::Digest d(crypto::DigestAlgorithm::kSha1);
    d.update(source);
    sha = crypto::hex_encode(d.finish());
  }
  std::vector<std::string> cmd{"EVALSHA", sha, std::to_string(keys.size())};
  cmd.reserve(cmd.size() + keys.size() + args.size());
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.insert(cmd.end(), args.begin(), args.end());
  return cmd;
}

// EVAL when Redis does not know the script yet (first use, or after a
// restart).
RedisQueue::Reply RedisQueue::script(const std::string& source,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
  auto cmd = evalsha(source, keys, args);
  try {
    return command(cmd);
  } catch (const QueueError& e) {
    if (std::string(e.what()).find("NOSCRIPT") == std::string::npos) throw;
  }
  cmd[0] = "EVAL";
  cmd[1] = source;
  return command(cmd);
}

std::vector<RedisQueue::ScriptAnswer> RedisQueue::scripts(const std::vector<ScriptCall>& calls) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (const auto& c : calls) commands.push_back(evalsha(c.source, c.keys, c.args));
  auto replies = round_trip(commands);
  std::vector<ScriptAnswer> answers(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (replies[i]->type != REDIS_REPLY_ERROR) {
      answers[i].reply = std::move(replies[i]);
      continue;
    }
    auto error = text(replies[i].get());
    if (!error.starts_with("NOSCRIPT")) {
      answers[i].error = "Redis: " + error;
      continue;
    }
    // It did not run: again, with its source.
    try {
      answers[i].reply = script(calls[i].source, calls[i].keys, calls[i].args);
    } catch (const QueueError& e) {
      answers[i].error = e.what();
    }
  }
  return answers;
}

// KEYS: fair, jobs, clock, owners. ARGV: (id, key, payload, dedup key,
// owner or "") per job. Start-time fair queuing, as in the embedded queue
// (db_queue.cpp): a job's place is the later of the stage's virtual clock
// and its owner's previous place plus one; it waits in the fair set (by
// place, then by id: UUID v7, the order of enqueueing) until a claim moves
// it onto the stream.
constexpr const char* kEnqueueAll = R"lua(
local clock = tonumber(redis.call('GET', KEYS[3]) or '0')
local added = 0
for i = 1, #ARGV, 5 do
  if redis.call('SET', ARGV[i + 3], ARGV[i], 'NX') then
    local place = clock
    local owner = ARGV[i + 4]
    if owner ~= '' then
      place = math.max(clock, tonumber(redis.call('ZSCORE', KEYS[4], owner) or '0') + 1)
      redis.call('ZADD', KEYS[4], place, owner)
    end
    redis.call('HSET', KEYS[2], ARGV[i], cjson.encode({key = ARGV[i + 1], payload = ARGV[i + 2]}))
    redis.call('ZADD', KEYS[1], place, ARGV[i])
    added = added + 1
  end
end
return added
)lua";

std::size_t RedisQueue::enqueue_all(const std::vector<NewJob>& jobs) {
  // One script per stage present, in the order given.
  std::size_t added = 0;
  std::size_t start = 0;
  while (start < jobs.size()) {
    auto end = start;
    std::vector<std::string> args;
    while (end < jobs.size() && jobs[end].stage == jobs[start].stage) {
      const auto& j = jobs[end++];
      args.insert(args.end(), {ids_.next(), j.key, j.payload, key(j.stage, "key:" + j.key),
                               owner_of(j.payload).value_or("")});
    }
    const auto& stage = jobs[start].stage;
    std::lock_guard lock(mutex_);
    ensure_group(stage);
    auto r = script(
        kEnqueueAll,
        {key(stage, "fair"), key(stage, "jobs"), key(stage, "clock"), key(stage, "owners")}, args);
    added += static_cast<std::size_t>(integer(r.get()));
    start = end;
  }
  return added;
}

// KEYS: stream, attempts, leases. ARGV: group, consumer, the lowest and the
// highest entry, then (entry, id, dedup key) per job. Returns 1 (acked) or
// 0 (no longer held) per job. Which entries the consumer still holds comes
// from one XPENDING over the batch's range (in pages); the rest is one
// multi-key call per structure, not one call per job: in Lua each call and
// each write it propagates to the AOF is most of an ack's cost.
constexpr const char* kAckAll = R"lua(
local held = {}
local from = ARGV[3]
repeat
  local page = redis.call('XPENDING', KEYS[1], ARGV[1], from, ARGV[4], 1000, ARGV[2])
  for _, p in ipairs(page) do held[p[1]] = true end
  if #page > 0 then from = '(' .. page[#page][1] end
until #page < 1000
local entries, ids, keys, out = {}, {}, {}, {}
for i = 5, #ARGV, 3 do
  if held[ARGV[i]] then
    held[ARGV[i]] = nil  -- a job given twice is acked once
    table.insert(entries, ARGV[i])
    table.insert(ids, ARGV[i + 1])
    table.insert(keys, ARGV[i + 2])
    table.insert(out, 1)
  else
    table.insert(out, 0)
  end
end
-- In slices: unpack() is bounded by Lua's stack.
for i = 1, #entries, 1000 do
  local j = math.min(i + 999, #entries)
  redis.call('XACK', KEYS[1], ARGV[1], unpack(entries, i, j))
  redis.call('XDEL', KEYS[1], unpack(entries, i, j))
  redis.call('HDEL', KEYS[2], unpack(ids, i, j))
  redis.call('ZREM', KEYS[3], unpack(entries, i, j))
  redis.call('DEL', unpack(keys, i, j))
end
return out
)lua";

RedisQueue::ScriptCall RedisQueue::ack_call(const std::vector<Job>& jobs) const {
  std::string consumer;
  std::vector<std::string> args{kGroup, "", "", ""};
  args.reserve(4 + 3 * jobs.size());
  std::string lowest, highest;
  std::pair<std::uint64_t, std::uint64_t> lowest_order, highest_order;
  for (const auto& j : jobs) {
    if (j.stage != jobs.front().stage) throw QueueError("ack_all takes jobs of one stage");
    auto [c, entry] = split_lease(j.lease);
    if (!consumer.empty() && c != consumer)
      throw QueueError("ack_all takes the jobs of one consumer");
    consumer = c;
    const auto order = entry_order(entry);
    if (lowest.empty() || order < lowest_order) {
      lowest = entry;
      lowest_order = order;
    }
    if (highest.empty() || highest_order < order) {
      highest = entry;
      highest_order = order;
    }
    args.push_back(std::move(entry));
    args.push_back(j.id);
    args.push_back(key(j.stage, "key:" + j.key));
  }
  args[1] = consumer;
  args[2] = lowest;
  args[3] = highest;
  const auto& stage = jobs.front().stage;
  return {kAckAll, {key(stage), key(stage, "attempts"), key(stage, "leases")}, std::move(args)};
}

namespace {
// Per job, whether the ack found it held.
std::vector<bool> acked(const redisReply* r, std::size_t jobs) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements != jobs)
    throw QueueError("Redis answered the ack of " + std::to_string(jobs) +
                     " jobs with something else");
  std::vector<bool> held;
  held.reserve(jobs);
  for (std::size_t i = 0; i < r->elements; ++i) held.push_back(integer(r->element[i]) == 1);
  return held;
}
}  // namespace

std::vector<bool> RedisQueue::ack_all(const std::vector<Job>& jobs) {
  if (jobs.empty()) return {};
  auto call = ack_call(jobs);
  std::lock_guard lock(mutex_);
  auto r = script(call.source, call.keys, call.args);
  return acked(r.get(), jobs.size());
}

Queue::Settled RedisQueue::ack_all_and_claim(const std::vector<Job>& done, const std::string& stage,
                                             std::size_t max, std::chrono::milliseconds lease) {
  if (done.empty()) return {{}, max > 0 ? claim(stage, max, lease) : std::vector<Job>{}, {}};
  if (max == 0) return {ack_all(done), {}, {}};
  auto ack = ack_call(done);
  std::lock_guard lock(mutex_);
  ensure_group(stage);
  auto answers = scripts({std::move(ack), claim_call(stage, max, lease)});
  if (!answers[0].error.empty()) throw QueueError(answers[0].error);
  Settled settled;
  settled.held = acked(answers[0].reply.get(), done.size());
  if (answers[1].error.empty()) {
    settled.claimed = claimed(answers[1].reply.get(), stage);
  } else {
    // The group is made again by the next claim (see claim()).
    if (answers[1].error.find("NOGROUP") != std::string::npos) groups_.erase(stage);
    settled.claim_error = answers[1].error;
  }
  return settled;
}

std::string RedisQueue::key(const std::string& stage, std::string_view suffix) const {
  auto k = settings_.prefix + ":q:" + stage;
  if (!suffix.empty()) k += ":" + std::string(suffix);
  return k;
}

void RedisQueue::ensure_group(const std::string& stage) {
  if (groups_.contains(stage)) return;
  try {
    command({"XGROUP", "CREATE", key(stage), kGroup, "0", "MKSTREAM"});
  } catch (const QueueError& e) {
    if (std::string(e.what()).find("BUSYGROUP") == std::string::npos) throw;
  }
  groups_.insert(stage);
}

// One job is a batch of one: the same script.
bool RedisQueue::enqueue(const NewJob& job) {
  return enqueue_all({job}) == 1;
}

RedisQueue::ScriptCall RedisQueue::claim_call(const std::string& stage, std::size_t max,
                                              std::chrono::milliseconds lease) const {
  const auto now = clock_.now_ms();
  return {kClaim,
          {key(stage), key(stage, "delayed"), key(stage, "attempts"), key(stage, "leases"),
           key(stage, "fair"), key(stage, "jobs"), key(stage, "clock"), key(stage, "owners")},
          {kGroup, consumer_, std::to_string(now), std::to_string(now + lease.count()),
           std::to_string(max)}};
}

std::vector<Job> RedisQueue::claimed(const redisReply* r, const std::string& stage) const {
  std::vector<Job> jobs;
  jobs.reserve(r->elements);
  for (std::size_t i = 0; i < r->elements; ++i) {
    auto* e = r->element[i];
    jobs.push_back({text(e->element[1]), stage, text(e->element[2]), text(e->element[3]),
                    static_cast<int>(integer(e->element[4])),
                    consumer_ + "|" + text(e->element[0])});
  }
  return jobs;
}

std::vector<Job> RedisQueue::claim(const std::string& stage, std::size_t max,
                                   std::chrono::milliseconds lease) {
  std::lock_guard lock(mutex_);
  ensure_group(stage);
  Reply r;
  try {
    auto call = claim_call(stage, max, lease);
    r = script(call.source, call.keys, call.args);
  } catch (const QueueError& e) {
    // A Redis that lost its data (restarted without persistence) lost the
    // group too: make it again.
    if (std::string(e.what()).find("NOGROUP") == std::string::npos) throw;
    groups_.erase(stage);
    ensure_group(stage);
    return {};
  }
  return claimed(r.get(), stage);
}

bool RedisQueue::extend(const Job& job, std::chrono::milliseconds lease) {
  auto [consumer, entry] = split_lease(job.lease);
  std::lock_guard lock(mutex_);
  auto r = script(std::string(kOwned) + kExtendTail, {key(job.stage), key(job.stage, "leases")},
                  {kGroup, consumer, entry, std::to_string(clock_.now_ms() + lease.count())});
  return integer(r.get()) == 1;
}

bool RedisQueue::ack(const Job& job) {
  return ack_all({job}).front();
}

void RedisQueue::release(const Job& job) {
  auto [consumer, entry] = split_lease(job.lease);
  std::lock_guard lock(mutex_);
  script(std::string(kOwned) + kReleaseTail,
         {key(job.stage), key(job.stage, "delayed"), key(job.stage, "attempts"),
          key(job.stage, "leases")},
         {kGroup, consumer, entry, job.id, job.key, job.payload, std::to_string(clock_.now_ms())});
}

void RedisQueue::fail(const Job& job, const std::string& error,
                      std::optional<std::chrono::milliseconds> retry_after) {
  auto [consumer, entry] = split_lease(job.lease);
  std::lock_guard lock(mutex_);
  if (retry_after) {
    script(std::string(kOwned) + kRetryTail,
           {key(job.stage), key(job.stage, "delayed"), key(job.stage, "leases")},
           {kGroup, consumer, entry, job.id, job.key, job.payload,
            std::to_string(clock_.now_ms() + retry_after->count())});
    return;
  }
  script(std::string(kOwned) + kBuryTail,
         {key(job.stage), key(job.stage, "dead"), key(job.stage, "attempts"),
          key(job.stage, "key:" + job.key), key(job.stage, "leases")},
         {kGroup, consumer, entry, job.id, job.key, job.payload, error,
          std::to_string(clock_.now_ms())});
}

std::vector<DeadJob> RedisQueue::dead_letters(const std::string& stage, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto r = command({"XREVRANGE", key(stage, "dead"), "+", "-", "COUNT", std::to_string(limit)});
  std::vector<DeadJob> out;
  for (std::size_t i = 0; i < r->elements; ++i) {
    auto* fields = r->element[i]->element[1];
    DeadJob d;
    d.stage = stage;
    for (std::size_t k = 0; k + 1 < fields->elements; k += 2) {
      auto name = text(fields->element[k]);
      auto value = fields->element[k + 1];
      if (name == "id") d.id = text(value);
      if (name == "key") d.key = text(value);
      if (name == "payload") d.payload = text(value);
      if (name == "attempts") d.attempts = static_cast<int>(integer(value));
      if (name == "error") d.error = text(value);
      if (name == "failedAt") d.failed_at_ms = integer(value);
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::size_t RedisQueue::pending(const std::string& stage) {
  std::lock_guard lock(mutex_);
  auto stream = command({"XLEN", key(stage)});
  auto delayed = command({"ZCARD", key(stage, "delayed")});
  auto waiting = command({"ZCARD", key(stage, "fair")});
  return static_cast<std::size_t>(integer(stream.get()) + integer(delayed.get()) +
                                  integer(waiting.get()));
}

std::optional<bool> RedisQueue::persistent() {
  std::lock_guard lock(mutex_);
  try {
    auto setting = [&](const char* name) {
      auto r = command({"CONFIG", "GET", name});
      return r->elements == 2 ? text(r->element[1]) : std::string();
    };
    return setting("appendonly") == "yes" || !setting("save").empty();
  } catch (const QueueError&) {
    return std::nullopt;
  }
}

void RedisQueue::check() {
  std::lock_guard lock(mutex_);
  command({"PING"});
}

}  // namespace companion::queue
