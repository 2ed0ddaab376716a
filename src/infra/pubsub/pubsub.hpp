#pragma once
// Publish/subscribe on one channel, to every process listening: how a
// change made by one process (a worker finishing a stage) reaches the
// clients connected to another (a `serve`). Two implementations side by
// side: in_process_pubsub.cpp (one process) and redis_pubsub.cpp (a
// cluster, Redis PUBLISH/SUBSCRIBE).
//
// Delivery is at most once: a subscriber that is cut off misses what was
// published meanwhile and is told (on_gap) when it is back, so it can catch
// up from where the messages are stored.
#include <functional>
#include <string>
#include <string_view>

namespace companion::pubsub {

class PubSub {
 public:
  // Called for each message, in the order one publisher sent them; on the
  // implementation's thread (or the publisher's): it must not block.
  using Handler = std::function<void(std::string_view message)>;
  using GapHandler = std::function<void()>;

  virtual ~PubSub() = default;
  // Thread-safe, does not wait for the network.
  virtual void publish(std::string message) = 0;
  // Set the receiver before start(); one per process.
  virtual void subscribe(Handler on_message, GapHandler on_gap) = 0;
  virtual void start() = 0;
  // Stops delivering; safe to call twice.
  virtual void stop() = 0;
  // Whether messages flow (readiness, metrics).
  virtual bool connected() const = 0;
};

}  // namespace companion::pubsub
