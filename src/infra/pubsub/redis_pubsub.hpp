#pragma once
// Pub/sub over Redis PUBLISH/SUBSCRIBE, for a cluster: every process
// subscribed to the channel gets every message, its own included.
//
// Two threads, each with its own connection: the publisher sends what
// publish() queued, many messages a round trip (pipelined); the subscriber
// blocks reading the channel. Either reconnects after a failure, backing
// off up to a second; the subscriber then calls the gap handler, since
// messages published meanwhile are gone. The publisher keeps at most
// `max_pending` messages while Redis is away and drops the oldest beyond.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "infra/pubsub/pubsub.hpp"
#include "infra/redis/redis_connection.hpp"

namespace companion::pubsub {

struct RedisPubSubSettings {
  std::string url;  // redis://…
  std::string channel = "ic:events";
  std::chrono::milliseconds timeout{5000};  // connect and publish
  std::size_t max_pending = 100'000;
};

class RedisPubSub final : public PubSub {
 public:
  explicit RedisPubSub(RedisPubSubSettings settings);  // throws RedisError for a bad URL
  ~RedisPubSub() override;

  void publish(std::string message) override;
  void subscribe(Handler on_message, GapHandler on_gap) override;
  void start() override;
  void stop() override;
  bool connected() const override { return subscribed_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  void publish_loop();
  void subscribe_loop();
  // Sleeps up to `d` unless stopping; false when stopping.
  bool pause(std::chrono::milliseconds d);

  RedisPubSubSettings settings_;
  redis::Address address_;
  Handler on_message_;
  GapHandler on_gap_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> pending_;
  bool stopping_ = false;
  int subscriber_fd_ = -1;  // shut down to end the subscriber's blocking read

  std::atomic<bool> subscribed_{false};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread publisher_;
  std::thread subscriber_;
};

}  // namespace companion::pubsub
