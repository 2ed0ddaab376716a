#pragma once
// One client's stream of events (a WebSocket or an SSE connection), the
// same for both: its subscriptions, its position in the user's sequence,
// and a bounded inbox the hub fills from other threads.
//
// What is sent is decided on the connection's executor only, by poll()
// (what can go out at once, without a coroutine: a WebSocket's idle cost
// and per-event work stay small) or by next() (everything, reading the
// database where needed). Stored events go out in increasing
// `seq` without gap or duplicate: one that arrives ahead of the position
// (another process committed in between, or pub/sub lost a message) makes
// the stream read the missing ones from the database first; one at or
// below the position is dropped. Progress ticks are sent as they come.
//
// The inbox holds at most `max_queued` events: a client that reads slower
// than its events arrive is closed (kCloseSlowConsumer) and resumes from
// the last seq it received.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "modules/realtime/hub.hpp"
#include "modules/realtime/realtime_service.hpp"

namespace companion::realtime {

struct StreamLimits {
  std::size_t max_queued = 1024;  // events waiting for the client, at most
  std::size_t max_subscriptions = 256;
  // A client heard nothing from for half of this is pinged, for all of it
  // dropped (Driver::idle, Driver::silent); zero: not watched.
  std::chrono::milliseconds idle_timeout{0};
};

// What the connection does when its stream tells it, on the executor. The
// hub's sweep (every second or so) stands in for timers per connection.
class Driver {
 public:
  virtual void ready() = 0;    // something arrived for poll()
  virtual void stalled() = 0;  // a write waited past the send timeout: end it
  virtual void idle() {}       // nothing heard for half the idle timeout: ping
  virtual void silent() {}     // nothing heard for the idle timeout: end it

 protected:
  ~Driver() = default;
};

// What the stream asks its connection to send.
struct Subscribed {
  std::optional<std::string> interview_id;
  std::int64_t seq;  // the user's latest
};
struct Resync {
  std::int64_t seq;     // the user's latest: read the current state, resume from here
  std::int64_t oldest;  // the oldest seq still stored, minus one
};
struct Failure {
  std::string code;
  std::string message;
};
struct Close {
  int code;
  std::string reason;
};
using Outgoing = std::variant<std::shared_ptr<const Event>, Subscribed, Resync, Failure, Close>;

class EventStream final : public Listener {
 public:
  EventStream(Hub& hub, RealtimeService& service, boost::asio::any_io_executor executor,
              std::string user_id, std::string session_id, StreamLimits limits);
  ~EventStream() override;
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // A client's request, queued behind the events already in the inbox.
  // `interview_id` none: all of the user's interviews.
  void subscribe(std::optional<std::string> interview_id, std::optional<std::int64_t> resume_from);
  void unsubscribe(std::optional<std::string> interview_id);
  // A client message that was refused: sent to it as an error, in order.
  void report(Failure failure);
  // The connection that this stream tells what happened (until the stream
  // goes). `ready` is not called while next() waits: that returns instead.
  void drive(Driver* driver);
  // The connection's writer marks each write (on the executor); one that
  // waits too long is Driver::stalled.
  void writing(bool busy);
  // The client sent something (a message, a pong): on the executor.
  void heard();
  // What can be sent now without reading the database, in order, appended
  // to `out` (a Close is the last thing). False when the stream needs
  // next() to go on (a subscription, a gap to fill from the database):
  // then call next(), which returns this too.
  bool poll(std::vector<Outgoing>& out);
  // The client went away: next() ends.
  void end();

  // What to send next, in order; a Close is the last thing it returns.
  // Empty when `until` passed with nothing to send.
  boost::asio::awaitable<std::vector<Outgoing>> next(
      std::chrono::steady_clock::time_point until = std::chrono::steady_clock::time_point::max());

  // Listener (any thread).
  const std::string& session_id() const override { return session_id_; }
  void on_event(std::shared_ptr<const Event> event, Wakeups& wakeups) override;
  void on_gap() override;
  void on_close(int code, std::string reason) override;
  void check(std::chrono::steady_clock::time_point now,
             std::chrono::milliseconds send_timeout) override;

 private:
  struct Command {
    bool subscribe;
    std::optional<std::string> interview_id;
    std::optional<std::int64_t> resume_from;
  };
  using Item = std::variant<std::shared_ptr<const Event>, Command, Failure>;
  // Shared with the wake-ups posted to the executor, which may run after
  // the stream is gone.
  struct Inbox final : Wakeable {
    explicit Inbox(boost::asio::any_io_executor e) : executor(std::move(e)) {}
    void wake() override;
    std::mutex mutex;
    std::vector<Item> items;  // (a deque allocates even when empty)
    std::size_t queued = 0;
    bool gap = false;
    std::unique_ptr<Close> close;
    bool signalled = false;
    boost::asio::any_io_executor executor;
    // On the executor only: next() waits on the timer (made on its first
    // wait: a WebSocket's stream seldom waits), else the driver's ready()
    // runs.
    std::optional<boost::asio::steady_timer> timer;
    bool waiting = false;
    Driver* driver = nullptr;
    // Since when the current write waits, and when the client was last
    // heard from (steady clock, ns; 0: no write).
    std::atomic<std::int64_t> writing_since{0};
    std::atomic<std::int64_t> heard_at{0};
    std::atomic<bool> stall_posted{false};
    std::atomic<bool> ping_posted{false};
    std::atomic<bool> silence_posted{false};
  };
  // Runs `call` on the driver, on the executor, if it is still there.
  void tell(void (Driver::*call)());
  void push(Item item, Wakeups* wakeups = nullptr);
  // Under the inbox's lock: one wake-up in flight at a time.
  void signal(Wakeups* wakeups = nullptr);
  // An item poll() can handle without the database (false: leave it).
  bool take_now(Item& item, std::vector<Outgoing>& out);
  // An event at, below or one past the position (false: it is ahead).
  bool take_in_order(std::shared_ptr<const Event>& e, std::vector<Outgoing>& out);
  // The close, when there is one: it replaces whatever `out` held.
  bool take_close(std::vector<Outgoing>& out);
  bool matches(const Event& e) const;
  boost::asio::awaitable<void> handle(Command command, std::vector<Outgoing>& out);
  // False: not yet (the event waits behind a replay; it was not moved).
  boost::asio::awaitable<bool> take(std::shared_ptr<const Event>& e, std::vector<Outgoing>& out);
  // Reads stored events after the position up to `catch_up_to_` into
  // `out`, until it holds a page (the rest on the next call: a long replay
  // never sits in memory whole); false when some were pruned (a Resync
  // went out instead).
  boost::asio::awaitable<bool> catch_up(std::vector<Outgoing>& out);
  bool behind() const { return position_ && *position_ < catch_up_to_; }

  RealtimeService& service_;
  std::string user_id_;
  std::string session_id_;
  StreamLimits limits_;
  std::shared_ptr<Inbox> inbox_;
  std::optional<Hub::Attachment> attachment_;
  // Touched only by next() and what it calls.
  std::optional<std::int64_t> position_;  // none until the first subscribe
  std::int64_t catch_up_to_ = 0;          // stored events to replay before anything newer
  std::vector<Item> held_;                // taken from the inbox, left for next()
  bool held_gap_ = false;
  bool all_ = false;
  std::set<std::string> interviews_;
  bool closed_ = false;
};

}  // namespace companion::realtime
