#pragma once
// Realtime: what other modules call to tell a user something happened, and
// what the streams read. A stored event is written in the caller's
// transaction with the user's next seq and published (pub/sub) once that
// commits; a progress tick is only published, at most a few a second per
// interview.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "infra/pubsub/pubsub.hpp"
#include "modules/realtime/event.hpp"
#include "modules/realtime/realtime_repository.hpp"

namespace companion::realtime {

struct RealtimeSettings {
  std::chrono::milliseconds ticket_ttl{60'000};  // at most 60 s (the contract)
  std::chrono::milliseconds event_retention = std::chrono::hours(24 * 7);
  std::chrono::milliseconds progress_interval{250};  // per interview, at most one tick each
};

struct NewEvent {
  std::string user_id;
  std::string type;
  std::optional<std::string> interview_id;
  boost::json::object data;
};

struct Ticket {
  std::string token;
  std::chrono::seconds expires_in;
};

class RealtimeService {
 public:
  // `keys` seal the stored events' data.
  RealtimeService(RealtimeSettings settings, db::Database& db, users::DataKeys& keys,
                  pubsub::PubSub& pubsub, const Clock& clock);

  // In the caller's transaction: stores the event with the user's next seq
  // and publishes it after the commit. Returns the seq (nullopt when the
  // user no longer exists or is being erased: nothing is stored).
  std::optional<std::int64_t> append_in(db::Connection& c, NewEvent event);
  // Runs in the transaction of every stored event, after it is written
  // (webhooks queue their deliveries here). Register while composing.
  using AppendHook = std::function<void(db::Connection&, const Event&)>;
  void on_append(AppendHook hook) { append_hooks_.push_back(std::move(hook)); }
  // A progress tick, published only (never stored); dropped when the
  // interview had one less than progress_interval ago, unless it is 100.
  void publish_progress(const std::string& user_id, const std::string& interview_id,
                        std::string_view stage, int percent);
  // Closes the user's open streams everywhere: one session's (logout), or
  // every one (erasure).
  void disconnect(const std::string& user_id, std::optional<std::string> session_id);

  // A single-use ticket for a WebSocket or SSE connection.
  boost::asio::awaitable<Ticket> issue_ticket(std::string user_id, std::string session_id);
  // The ticket's (user, session), once; nullopt for an unknown, expired or
  // spent ticket.
  boost::asio::awaitable<std::optional<std::pair<std::string, std::string>>> redeem_ticket(
      std::string token);

  boost::asio::awaitable<Head> head(std::string user_id);
  // Stored events after `after` up to `up_to`, in order (at most `limit`).
  boost::asio::awaitable<std::vector<Event>> between(std::string user_id, std::int64_t after,
                                                     std::int64_t up_to, std::size_t limit);
  // Removes events past retention and expired tickets; returns the events
  // removed.
  boost::asio::awaitable<std::size_t> prune();

  const RealtimeSettings& settings() const { return settings_; }

 private:
  RealtimeSettings settings_;
  db::Database& db_;
  pubsub::PubSub& pubsub_;
  const Clock& clock_;
  RealtimeRepository repository_;
  std::vector<AppendHook> append_hooks_;
  std::mutex progress_mutex_;
  std::map<std::string, std::int64_t> last_progress_;  // interview -> when (ms)
};

}  // namespace companion::realtime
