#include "modules/realtime/event_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iterator>

namespace companion::realtime {
namespace net = boost::asio;

namespace {
// Stored events read from the database in one query, at most.
constexpr std::size_t kPage = 500;
}  // namespace

EventStream::EventStream(Hub& hub, RealtimeService& service, net::any_io_executor executor,
                         std::string user_id, std::string session_id, StreamLimits limits)
    : service_(service),
      user_id_(std::move(user_id)),
      session_id_(std::move(session_id)),
      limits_(limits),
      inbox_(std::make_shared<Inbox>(executor)),
      attachment_(hub.attach(user_id_, *this)) {
  inbox_->heard_at = std::chrono::steady_clock::now().time_since_epoch().count();
  if (!attachment_)
    inbox_->close = std::make_unique<Close>(Close{kCloseGoingAway, "the server is shutting down"});
}

EventStream::~EventStream() {
  // Detached first: the hub calls this listener no more.
  attachment_.reset();
  inbox_->driver = nullptr;
}

void EventStream::Inbox::wake() {
  if (driver && !waiting)
    driver->ready();
  else if (timer)
    timer->cancel();
}

void EventStream::tell(void (Driver::*call)()) {
  net::post(inbox_->executor, [inbox = inbox_, call] {
    if (inbox->driver) (inbox->driver->*call)();
  });
}

void EventStream::drive(Driver* driver) {
  inbox_->driver = driver;
}

void EventStream::heard() {
  inbox_->heard_at = std::chrono::steady_clock::now().time_since_epoch().count();
  inbox_->ping_posted = false;
}

void EventStream::writing(bool busy) {
  inbox_->writing_since =
      busy ? std::chrono::steady_clock::now().time_since_epoch().count() : std::int64_t{0};
}

void EventStream::check(std::chrono::steady_clock::time_point now,
                        std::chrono::milliseconds send_timeout) {
  using ns = std::chrono::nanoseconds;
  const auto t = now.time_since_epoch().count();
  const auto since = inbox_->writing_since.load();
  if (since != 0 && t - since > ns(send_timeout).count() && !inbox_->stall_posted.exchange(true))
    tell(&Driver::stalled);
  if (limits_.idle_timeout.count() == 0) return;
  const auto quiet = t - inbox_->heard_at.load();
  const auto idle = ns(limits_.idle_timeout).count();
  if (quiet > idle) {
    if (!inbox_->silence_posted.exchange(true)) tell(&Driver::silent);
  } else if (quiet > idle / 2 && !inbox_->ping_posted.exchange(true)) {
    tell(&Driver::idle);
  }
}

void EventStream::signal(Wakeups* wakeups) {
  // One wake-up in flight is enough: poll() and next() take everything
  // queued when they run.
  if (inbox_->signalled) return;
  inbox_->signalled = true;
  if (wakeups)
    wakeups->add(inbox_->executor, inbox_);
  else
    net::post(inbox_->executor, [inbox = inbox_] { inbox->wake(); });
}

void EventStream::push(Item item, Wakeups* wakeups) {
  std::lock_guard lock(inbox_->mutex);
  if (inbox_->close) return;
  if (++inbox_->queued > limits_.max_queued) {
    inbox_->items.clear();
    inbox_->close = std::make_unique<Close>(
        Close{kCloseSlowConsumer,
              "events arrived faster than they were read; reconnect and resume from "
              "the last seq received"});
  } else {
    inbox_->items.push_back(std::move(item));
  }
  signal(wakeups);
}

void EventStream::on_event(std::shared_ptr<const Event> event, Wakeups& wakeups) {
  push(std::move(event), &wakeups);
}

void EventStream::on_gap() {
  std::lock_guard lock(inbox_->mutex);
  inbox_->gap = true;
  signal();
}

void EventStream::on_close(int code, std::string reason) {
  std::lock_guard lock(inbox_->mutex);
  if (inbox_->close) return;
  inbox_->close = std::make_unique<Close>(Close{code, std::move(reason)});
  signal();
}

void EventStream::subscribe(std::optional<std::string> interview_id,
                            std::optional<std::int64_t> resume_from) {
  push(Command{true, std::move(interview_id), resume_from});
}

void EventStream::unsubscribe(std::optional<std::string> interview_id) {
  push(Command{false, std::move(interview_id), std::nullopt});
}

void EventStream::report(Failure failure) {
  push(std::move(failure));
}

void EventStream::end() {
  on_close(0, {});
}

bool EventStream::matches(const Event& e) const {
  return all_ || (e.interview_id && interviews_.contains(*e.interview_id));
}

net::awaitable<std::vector<Outgoing>> EventStream::next(
    std::chrono::steady_clock::time_point until) {
  std::vector<Outgoing> out;
  if (closed_) co_return out;
  if (take_close(out)) co_return out;  // a close goes before the rest of a replay
  if (behind()) {
    // A long replay goes a page at a time; what came in meanwhile waits in
    // the inbox (bounded: a client that never catches up is slow).
    co_await catch_up(out);
    if (behind()) co_return out;
  }
  for (;;) {
    // What poll() left first, then what came in since.
    std::vector<Item> items = std::exchange(held_, {});
    bool gap = std::exchange(held_gap_, false);
    {
      std::lock_guard lock(inbox_->mutex);
      if (inbox_->close) {
        closed_ = true;
        out.clear();
        out.push_back(*inbox_->close);
        co_return out;
      }
      if (items.empty())
        items.swap(inbox_->items);
      else
        std::move(inbox_->items.begin(), inbox_->items.end(), std::back_inserter(items));
      inbox_->items.clear();
      inbox_->queued = 0;
      gap = std::exchange(inbox_->gap, false) || gap;
      inbox_->signalled = false;
    }
    if (gap && position_) {
      auto head = co_await service_.head(user_id_);
      catch_up_to_ = std::max(catch_up_to_, head.last_seq);
      co_await catch_up(out);
    }
    for (std::size_t k = 0; k < items.size(); ++k) {
      auto& item = items[k];
      bool done = !behind();
      if (!done) {
        // Behind a replay: this item and the rest wait for it.
      } else if (auto* command = std::get_if<Command>(&item)) {
        co_await handle(std::move(*command), out);
      } else if (auto* failure = std::get_if<Failure>(&item)) {
        out.push_back(std::move(*failure));
      } else {
        done = co_await take(std::get<std::shared_ptr<const Event>>(item), out);
      }
      if (!done || behind()) {
        held_.insert(held_.begin(), std::make_move_iterator(items.begin() + (done ? k + 1 : k)),
                     std::make_move_iterator(items.end()));
        co_return out;
      }
    }
    if (!out.empty()) co_return out;
    {
      // Nothing came in while this ran (the wake-up runs on this executor,
      // so it cannot slip in between the check and the wait)?
      std::lock_guard lock(inbox_->mutex);
      if (!inbox_->items.empty() || inbox_->gap || inbox_->close) continue;
    }
    if (std::chrono::steady_clock::now() >= until) co_return out;
    if (!inbox_->timer) inbox_->timer.emplace(inbox_->executor);
    inbox_->timer->expires_at(until);
    inbox_->waiting = true;
    co_await inbox_->timer->async_wait(net::as_tuple(net::use_awaitable));
    inbox_->waiting = false;
  }
}

bool EventStream::poll(std::vector<Outgoing>& out) {
  if (closed_) return true;
  if (take_close(out)) return true;
  if (!held_.empty() || held_gap_ || behind()) return false;
  bool gap = false;
  std::vector<Item> taken;
  {
    // (A close that comes now is found by the next call: it wakes the
    // connection.)
    std::lock_guard lock(inbox_->mutex);
    taken.swap(inbox_->items);
    inbox_->queued = 0;
    gap = std::exchange(inbox_->gap, false);
    inbox_->signalled = false;
  }
  std::size_t i = 0;
  if (gap && position_)
    held_gap_ = true;
  else
    while (i < taken.size() && take_now(taken[i], out)) ++i;
  held_.insert(held_.end(), std::make_move_iterator(taken.begin() + static_cast<long>(i)),
               std::make_move_iterator(taken.end()));
  return held_.empty() && !held_gap_;
}

bool EventStream::take_now(Item& item, std::vector<Outgoing>& out) {
  if (auto* failure = std::get_if<Failure>(&item)) {
    out.push_back(std::move(*failure));
    return true;
  }
  auto* event = std::get_if<std::shared_ptr<const Event>>(&item);
  if (!event) return false;  // a command: it reads the user's head
  return take_in_order(*event, out);
}

bool EventStream::take_in_order(std::shared_ptr<const Event>& e, std::vector<Outgoing>& out) {
  if (!position_) return true;  // nothing subscribed yet
  if (e->seq) {
    if (*e->seq <= *position_) return true;      // had it
    if (*e->seq > *position_ + 1) return false;  // the ones before come from the database
    position_ = *e->seq;
  }
  if (matches(*e)) out.push_back(std::move(e));
  return true;
}

bool EventStream::take_close(std::vector<Outgoing>& out) {
  std::lock_guard lock(inbox_->mutex);
  if (!inbox_->close) return false;
  closed_ = true;
  out.clear();
  out.push_back(*inbox_->close);
  return true;
}

net::awaitable<bool> EventStream::take(std::shared_ptr<const Event>& e,
                                       std::vector<Outgoing>& out) {
  if (take_in_order(e, out)) co_return true;
  // Ahead of the position: committed elsewhere in between, or lost on the
  // way. Read those first.
  const auto seq = *e->seq;
  catch_up_to_ = std::max(catch_up_to_, seq - 1);
  if (!co_await catch_up(out)) {
    if (seq <= *position_) co_return true;  // resynced past it
  } else if (behind()) {
    co_return false;  // after the rest of the replay
  }
  position_ = seq;
  if (matches(*e)) out.push_back(std::move(e));
  co_return true;
}

net::awaitable<bool> EventStream::catch_up(std::vector<Outgoing>& out) {
  while (*position_ < catch_up_to_ && out.size() < kPage) {
    auto events = co_await service_.between(user_id_, *position_, catch_up_to_, kPage);
    if (events.empty() || *events.front().seq != *position_ + 1) {
      // Pruned (or never stored): never a silent gap.
      auto head = co_await service_.head(user_id_);
      out.push_back(Resync{head.last_seq, head.pruned_seq});
      position_ = head.last_seq;
      co_return false;
    }
    for (auto& e : events) {
      position_ = *e.seq;
      if (!matches(e)) continue;
      render(e);
      out.push_back(std::make_shared<const Event>(std::move(e)));
    }
  }
  co_return true;
}

net::awaitable<void> EventStream::handle(Command command, std::vector<Outgoing>& out) {
  if (!command.subscribe) {
    if (!command.interview_id) {
      all_ = false;
      interviews_.clear();
    } else {
      interviews_.erase(*command.interview_id);
    }
    co_return;
  }
  if (command.interview_id) {
    if (interviews_.size() >= limits_.max_subscriptions &&
        !interviews_.contains(*command.interview_id)) {
      out.push_back(Failure{"too-many-subscriptions",
                            "A connection follows at most " +
                                std::to_string(limits_.max_subscriptions) +
                                " interviews; subscribe to all of them with interviewId null."});
      co_return;
    }
    interviews_.insert(*command.interview_id);
  } else {
    all_ = true;
  }
  if (position_) {
    // The connection's position is set by its first subscription; a later
    // one joins it there (its resumeFrom is not used).
    out.push_back(Subscribed{command.interview_id, *position_});
    co_return;
  }
  auto head = co_await service_.head(user_id_);
  out.push_back(Subscribed{command.interview_id, head.last_seq});
  const auto from = command.resume_from;
  if (!from || *from == head.last_seq) {
    position_ = head.last_seq;
  } else if (*from < head.pruned_seq || *from > head.last_seq || *from < 0) {
    // From before what is kept, or from a sequence this server never
    // issued: the client must read the current state again.
    out.push_back(Resync{head.last_seq, head.pruned_seq});
    position_ = head.last_seq;
  } else {
    position_ = *from;
    catch_up_to_ = head.last_seq;
    co_await catch_up(out);
  }
}

}  // namespace companion::realtime
