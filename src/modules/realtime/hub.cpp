#include "modules/realtime/hub.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <mutex>

namespace companion::realtime {

void Wakeups::add(const boost::asio::any_io_executor& executor, std::shared_ptr<Wakeable> target) {
  for (auto& [e, targets] : by_executor_) {
    if (e == executor) {
      targets.push_back(std::move(target));
      return;
    }
  }
  by_executor_.emplace_back(executor, std::vector<std::shared_ptr<Wakeable>>{std::move(target)});
}

void Wakeups::post() {
  for (auto& [executor, targets] : by_executor_)
    boost::asio::post(executor, [targets = std::move(targets)] {
      for (const auto& t : targets) t->wake();
    });
  by_executor_.clear();
}

Hub::Hub(pubsub::PubSub& pubsub) {
  pubsub.subscribe([this](std::string_view message) { dispatch(message); }, [this] { gap(); });
}

Hub::~Hub() = default;

std::optional<Hub::Attachment> Hub::attach(const std::string& user_id, Listener& listener) {
  std::unique_lock lock(mutex_);
  if (closing_) return std::nullopt;
  by_user_[user_id].push_back(&listener);
  ++streams_;
  return Attachment(this, &user_id, &listener);
}

void Hub::detach(const std::string& user_id, Listener* listener) {
  std::unique_lock lock(mutex_);
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) return;
  auto& v = it->second;
  auto pos = std::find(v.begin(), v.end(), listener);
  if (pos == v.end()) return;
  v.erase(pos);
  --streams_;
  if (v.empty()) by_user_.erase(it);
}

void Hub::dispatch(std::string_view text) {
  auto message = decode_message(text);
  if (!message) return;
  if (message->event) {
    {
      std::shared_lock lock(mutex_);
      if (!by_user_.contains(message->event->user_id)) return;  // nobody here follows them
    }
    // Serialised once for all of the user's streams.
    render(*message->event);
    auto event = std::make_shared<const Event>(std::move(*message->event));
    Wakeups wakeups;  // posted after the lock is released (declared first)
    std::shared_lock lock(mutex_);
    auto it = by_user_.find(event->user_id);
    if (it == by_user_.end()) return;
    for (auto* l : it->second) l->on_event(event, wakeups);
    delivered_ += it->second.size();
    return;
  }
  if (message->disconnect) {
    const auto& d = *message->disconnect;
    std::shared_lock lock(mutex_);
    auto it = by_user_.find(d.user_id);
    if (it == by_user_.end()) return;
    for (auto* l : it->second)
      if (!d.session_id || *d.session_id == l->session_id())
        l->on_close(kCloseSignedOut, "signed out");
  }
}

void Hub::gap() {
  std::shared_lock lock(mutex_);
  for (auto& [user, listeners] : by_user_)
    for (auto* l : listeners) l->on_gap();
}

void Hub::sweep(std::chrono::milliseconds send_timeout) {
  const auto now = std::chrono::steady_clock::now();
  std::shared_lock lock(mutex_);
  for (auto& [user, listeners] : by_user_)
    for (auto* l : listeners) l->check(now, send_timeout);
}

void Hub::close_all() {
  std::unique_lock lock(mutex_);
  closing_ = true;
  for (auto& [user, listeners] : by_user_)
    for (auto* l : listeners) l->on_close(kCloseGoingAway, "the server is shutting down");
}

}  // namespace companion::realtime
