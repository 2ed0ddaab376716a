#pragma once
// The realtime hub of one `serve` process: the open streams by user, fed by
// the pub/sub channel. Every message is decoded once and handed to that
// user's streams; a stream's inbox is its own (event_stream.hpp).
#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "infra/pubsub/pubsub.hpp"
#include "modules/realtime/event.hpp"

namespace companion::realtime {

// Something that runs on its executor when woken (a stream's inbox).
class Wakeable {
 public:
  virtual ~Wakeable() = default;
  virtual void wake() = 0;
};

// The streams one message woke, by the executor (I/O thread) they run on:
// one post per thread for all of them, not one per stream.
class Wakeups {
 public:
  Wakeups() = default;
  Wakeups(const Wakeups&) = delete;
  Wakeups& operator=(const Wakeups&) = delete;
  ~Wakeups() { post(); }
  void add(const boost::asio::any_io_executor& executor, std::shared_ptr<Wakeable> target);
  void post();

 private:
  std::vector<std::pair<boost::asio::any_io_executor, std::vector<std::shared_ptr<Wakeable>>>>
      by_executor_;
};

// What a stream is told. Called on the hub's caller's thread (the pub/sub
// thread, a database thread after a commit): it must only queue and wake.
class Listener {
 public:
  virtual ~Listener() = default;
  virtual const std::string& session_id() const = 0;
  // Queues the event; a stream to wake is added to `wakeups`, which the
  // hub posts once it has told every stream.
  virtual void on_event(std::shared_ptr<const Event> event, Wakeups& wakeups) = 0;
  // Messages may have been lost (the pub/sub connection dropped).
  virtual void on_gap() = 0;
  // Close with this WebSocket close code and reason.
  virtual void on_close(int code, std::string reason) = 0;
  // Looks at the connection's clocks: a write that has waited longer than
  // `send_timeout` for the client ends the connection; a client silent for
  // long is pinged, then dropped (EventStream, Driver).
  virtual void check(std::chrono::steady_clock::time_point now,
                     std::chrono::milliseconds send_timeout) = 0;
};

// Close codes (documented in docs/realtime.md).
inline constexpr int kCloseGoingAway = 1001;     // the server is shutting down
inline constexpr int kCloseSignedOut = 4001;     // the session ended (logout, erasure)
inline constexpr int kCloseSlowConsumer = 4008;  // events queued faster than read

class Hub {
 public:
  // Subscribes to the channel (before pubsub.start()).
  explicit Hub(pubsub::PubSub& pubsub);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Registers a stream until the returned handle goes; after that the
  // listener is never called again. `user_id` must outlive the handle (it
  // is the stream's own).
  class Attachment {
   public:
    Attachment(Hub* hub, const std::string* user_id, Listener* listener)
        : hub_(hub), user_id_(user_id), listener_(listener) {}
    Attachment(Attachment&& o) noexcept
        : hub_(std::exchange(o.hub_, nullptr)), user_id_(o.user_id_), listener_(o.listener_) {}
    Attachment(const Attachment&) = delete;
    ~Attachment() {
      if (hub_) hub_->detach(*user_id_, listener_);
    }

   private:
    Hub* hub_;
    const std::string* user_id_;
    Listener* listener_;
  };
  // nullopt once shutting down (the caller closes with 1001).
  std::optional<Attachment> attach(const std::string& user_id, Listener& listener);

  // Every stream closes with 1001 (SIGTERM), and no new one is taken.
  void close_all();
  // Ends the connections whose current write has waited longer than
  // `send_timeout` for the client, pings quiet ones and drops silent ones
  // (run every second or so: one look per stream instead of timers per
  // connection).
  void sweep(std::chrono::milliseconds send_timeout);
  std::size_t streams() const { return streams_.load(); }
  std::uint64_t delivered() const { return delivered_.load(); }

  // One message from the channel (also called directly by tests).
  void dispatch(std::string_view message);

 private:
  void detach(const std::string& user_id, Listener* listener);
  void gap();

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::vector<Listener*>> by_user_;
  bool closing_ = false;
  std::atomic<std::size_t> streams_{0};
  std::atomic<std::uint64_t> delivered_{0};
};

}  // namespace companion::realtime
