#include "modules/realtime/realtime_service.hpp"

#include "infra/crypto/encoding.hpp"

namespace companion::realtime {

RealtimeService::RealtimeService(RealtimeSettings settings, db::Database& db, users::DataKeys& keys,
                                 pubsub::PubSub& pubsub, const Clock& clock)
    : settings_(settings), db_(db), pubsub_(pubsub), clock_(clock), repository_(keys) {}

std::optional<std::int64_t> RealtimeService::append_in(db::Connection& c, NewEvent input) {
  auto seq = repository_.next_seq(c, input.user_id);
  if (!seq) return std::nullopt;
  Event e{.user_id = std::move(input.user_id),
          .seq = seq,
          .type = std::move(input.type),
          .interview_id = std::move(input.interview_id),
          .data = std::move(input.data),
          .at_ms = clock_.now_ms()};
  if (!repository_.insert(c, e)) return std::nullopt;  // the account is being erased
  for (const auto& hook : append_hooks_) hook(c, e);
  c.after_commit(
      [this, message = encode_message(e)]() mutable { pubsub_.publish(std::move(message)); });
  return seq;
}

void RealtimeService::publish_progress(const std::string& user_id, const std::string& interview_id,
                                       std::string_view stage, int percent) {
  const auto now = clock_.now_ms();
  {
    std::lock_guard lock(progress_mutex_);
    auto& last = last_progress_[interview_id];
    if (percent < 100 && now - last < settings_.progress_interval.count()) return;
    last = now;
    // Forget interviews that went quiet (the map stays small).
    if (last_progress_.size() > 4096)
      std::erase_if(last_progress_, [&](const auto& kv) {
        return now - kv.second > settings_.progress_interval.count();
      });
  }
  Event e{.user_id = user_id,
          .seq = std::nullopt,
          .type = std::string(kInterviewProgress),
          .interview_id = interview_id,
          .data = {{"stage", stage}, {"percent", percent}},
          .at_ms = now};
  pubsub_.publish(encode_message(e));
}

void RealtimeService::disconnect(const std::string& user_id,
                                 std::optional<std::string> session_id) {
  pubsub_.publish(encode_message(Disconnect{user_id, std::move(session_id)}));
}

boost::asio::awaitable<Ticket> RealtimeService::issue_ticket(std::string user_id,
                                                             std::string session_id) {
  auto token = crypto::base64url_encode(crypto::random_bytes(32));
  auto hash = crypto::hex_encode(crypto::sha256(token));
  auto expires = clock_.now_ms() + settings_.ticket_ttl.count();
  co_await db_.write_single(
      [&](db::Connection& c) { repository_.insert_ticket(c, hash, user_id, session_id, expires); });
  co_return Ticket{token, std::chrono::duration_cast<std::chrono::seconds>(settings_.ticket_ttl)};
}

boost::asio::awaitable<std::optional<std::pair<std::string, std::string>>>
RealtimeService::redeem_ticket(std::string token) {
  if (token.empty() || token.size() > 128) co_return std::nullopt;
  auto hash = crypto::hex_encode(crypto::sha256(token));
  auto now = clock_.now_ms();
  co_return co_await db_.write_single(
      [&](db::Connection& c) { return repository_.take_ticket(c, hash, now); });
}

boost::asio::awaitable<Head> RealtimeService::head(std::string user_id) {
  co_return co_await db_.read([&](db::Connection& c) { return repository_.head(c, user_id); });
}

boost::asio::awaitable<std::vector<Event>> RealtimeService::between(std::string user_id,
                                                                    std::int64_t after,
                                                                    std::int64_t up_to,
                                                                    std::size_t limit) {
  co_return co_await db_.read(
      [&](db::Connection& c) { return repository_.between(c, user_id, after, up_to, limit); });
}

boost::asio::awaitable<std::size_t> RealtimeService::prune() {
  const auto now = clock_.now_ms();
  const auto before = now - settings_.event_retention.count();
  std::size_t total = 0;
  for (;;) {
    auto removed =
        co_await db_.write([&](db::Connection& c) { return repository_.prune(c, before, 1000); });
    total += removed;
    if (removed == 0) break;
  }
  co_await db_.write_single([&](db::Connection& c) { repository_.remove_expired_tickets(c, now); });
  co_return total;
}

}  // namespace companion::realtime
