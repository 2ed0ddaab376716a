#pragma once
// The queue on Redis Streams (hiredis): one stream per stage read by the
// consumer group "workers"; each delivery's lease deadline, by the injected
// clock, waits in a sorted set, and XCLAIM takes over entries whose
// deadline has passed; XACK + XDEL finish them; retries wait in a sorted
// set until due, dead letters go to a stream of their own. Each multi-step
// operation is one Lua script, so it is atomic. Every time is the clock's,
// sent with the call, never Redis's own (so tests move it, and a Redis
// host whose clock is off does not shorten leases).
//
// Keys (prefix "ic" by default), per stage S:
//   ic:q:S            the stream            ic:q:S:delayed   retries (zset)
//   ic:q:S:attempts   deliveries per job    ic:q:S:dead      dead letters
//   ic:q:S:leases     lease deadlines (zset of stream entries)
//   ic:q:S:key:K      the pending job with dedup key K
//   ic:q:S:fair       new jobs by their place in the fair order (zset of
//                     job ids), ic:q:S:jobs their key and payload (hash)
//   ic:q:S:clock      the virtual clock, ic:q:S:owners each owner's last
//                     place (zset; owners behind the clock are dropped):
//                     start-time fair queuing across users,
//                     as in the embedded queue; a claim moves the jobs it
//                     wants from the fair set onto the stream
//
// A lease belongs to this instance's consumer name: a delivery taken over
// by another instance is refused to the first (ack/extend answer false).
#include <hiredis/hiredis.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/queue/queue.hpp"
#include "infra/redis/redis_connection.hpp"

namespace companion::queue {

class QueueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RedisSettings {
  // redis://[:password@]host:port[/db]
  std::string url;
  std::string prefix = "ic";
  std::chrono::milliseconds timeout{5000};
};

class RedisQueue final : public Queue {
 public:
  RedisQueue(RedisSettings settings, const Clock& clock, crypto::UuidV7Generator& ids);
  ~RedisQueue() override;

  bool enqueue(const NewJob& job) override;
  std::vector<Job> claim(const std::string& stage, std::size_t max,
                         std::chrono::milliseconds lease) override;
  bool extend(const Job& job, std::chrono::milliseconds lease) override;
  bool ack(const Job& job) override;
  std::size_t enqueue_all(const std::vector<NewJob>& jobs) override;
  std::vector<bool> ack_all(const std::vector<Job>& jobs) override;
  // Both scripts in one write: one round trip.
  Settled ack_all_and_claim(const std::vector<Job>& done, const std::string& stage, std::size_t max,
                            std::chrono::milliseconds lease) override;
  void release(const Job& job) override;
  void fail(const Job& job, const std::string& error,
            std::optional<std::chrono::milliseconds> retry_after) override;
  std::vector<DeadJob> dead_letters(const std::string& stage, std::size_t limit) override;
  std::size_t pending(const std::string& stage) override;
  void check() override;
  // Whether Redis writes its data to disk (AOF or RDB snapshots); nullopt
  // when it does not say (CONFIG disabled, as on some managed services).
  std::optional<bool> persistent();

 private:
  struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
  };
  using Reply = std::unique_ptr<redisReply, ReplyFree>;

  // A script to run, with its keys and arguments.
  struct ScriptCall {
    const char* source;
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };
  // A script's answer: its reply, or what went wrong.
  struct ScriptAnswer {
    Reply reply;
    std::string error;
  };

  // Sends the commands in one write and reads their replies in order: one
  // round trip. Reconnects and sends them again once when the connection
  // is broken before any reply came. Error replies are returned, not
  // thrown; a lost connection throws QueueError.
  std::vector<Reply> round_trip(const std::vector<std::vector<std::string>>& commands);
  // Runs one command; throws QueueError on failure or an error reply.
  Reply command(const std::vector<std::string>& args);
  Reply script(const std::string& source, const std::vector<std::string>& keys,
               const std::vector<std::string>& args);
  // Several scripts in one round trip (EVAL for one Redis does not know yet).
  std::vector<ScriptAnswer> scripts(const std::vector<ScriptCall>& calls);
  std::vector<std::string> evalsha(const std::string& source, const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args);
  ScriptCall ack_call(const std::vector<Job>& jobs) const;
  ScriptCall claim_call(const std::string& stage, std::size_t max,
                        std::chrono::milliseconds lease) const;
  std::vector<Job> claimed(const redisReply* reply, const std::string& stage) const;
  void connect();
  void ensure_group(const std::string& stage);
  std::string key(const std::string& stage, std::string_view suffix = {}) const;

  RedisSettings settings_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  redis::Address address_;
  std::string consumer_;
  std::mutex mutex_;
  redisContext* ctx_ = nullptr;
  std::set<std::string> groups_;
  std::map<std::string, std::string> shas_;  // script -> SHA-1, for EVALSHA
};

}  // namespace companion::queue
