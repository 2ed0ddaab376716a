#include "infra/idempotency/db_idempotency_store.hpp"

#include <boost/json.hpp>

namespace companion::idempotency {
namespace {

constexpr const char* kSelect =
    "SELECT request_hash, state, response_status, response_headers, response_body, created_at "
    "FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2";
constexpr const char* kInsert =
    "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, state, created_at) "
    "VALUES ($1, $2, $3, 'pending', $4) ON CONFLICT (user_id, idem_key) DO NOTHING";
constexpr const char* kTakeOver =
    "UPDATE idempotency_keys SET request_hash = $3, state = 'pending', response_status = NULL, "
    "response_headers = NULL, response_body = NULL, created_at = $4 "
    "WHERE user_id = $1 AND idem_key = $2 AND created_at = $5";
constexpr const char* kComplete =
    "UPDATE idempotency_keys SET state = 'done', response_status = $3, response_headers = $4, "
    "response_body = $5 WHERE user_id = $1 AND idem_key = $2";
constexpr const char* kDelete =
    "DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2 AND state = 'pending'";
constexpr const char* kSweep = "DELETE FROM idempotency_keys WHERE created_at < $1";
constexpr const char* kForgetUser = "DELETE FROM idempotency_keys WHERE user_id = $1";

std::string body_row(const std::string& user_id, const std::string& key) {
  return user_id + ":" + key;
}

}  // namespace

DbIdempotencyStore::DbIdempotencyStore(db::Database& db, BodySeal& seal, const Clock& clock,
                                       Settings settings)
    : db_(db), seal_(seal), clock_(clock), settings_(settings) {}

boost::asio::awaitable<http::IdempotencyStore::Begin> DbIdempotencyStore::begin(
    std::string user_id, std::string key, std::string request_hash) {
  auto now = clock_.now_ms();
  auto retention_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.retention).count();
  auto grace_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.pending_grace).count();
  co_return co_await db_.write([&](db::Connection& c) -> Begin {
    if (c.execute(kInsert, {user_id, key, request_hash, now}) == 1) return {Outcome::kStarted, {}};
    auto row = c.query_one(kSelect, {user_id, key});
    if (!row) return {Outcome::kStarted, {}};  // swept meanwhile; proceed without a record
    auto created = row->int64(5);
    auto state = row->text(1);
    bool expired = now - created > retention_ms;
    bool stale_pending = state == "pending" && now - created > grace_ms;
    if (expired || stale_pending) {
      // Only one of several racing requests wins the takeover.
      if (c.execute(kTakeOver, {user_id, key, request_hash, now, created}) == 1)
        return {Outcome::kStarted, {}};
      auto current = c.query_one(kSelect, {user_id, key});
      if (current && current->text(0) != request_hash) return {Outcome::kMismatch, {}};
      return {Outcome::kInFlight, {}};
    }
    if (row->text(0) != request_hash) return {Outcome::kMismatch, {}};
    if (state != "done") return {Outcome::kInFlight, {}};
    Stored stored;
    stored.status = static_cast<int>(row->int64(2));
    if (!row->is_null(4))
      stored.body = seal_.open_in(c, user_id, body_row(user_id, key), row->text_view(4));
    auto headers = boost::json::parse(row->optional_text(3).value_or("[]"));
    for (auto& h : headers.as_array()) {
      auto& pair = h.as_array();
      stored.headers.emplace_back(std::string(pair.at(0).as_string()),
                                  std::string(pair.at(1).as_string()));
    }
    return {Outcome::kReplay, std::move(stored)};
  });
}

boost::asio::awaitable<void> DbIdempotencyStore::complete(std::string user_id, std::string key,
                                                          Stored response) {
  boost::json::array headers;
  for (auto& [k, v] : response.headers) headers.push_back(boost::json::array{k, v});
  auto encoded = boost::json::serialize(headers);
  co_await db_.write_single([&](db::Connection& c) {
    // An account being erased gets no stored body (nothing will replay it).
    auto body = seal_.seal_in(c, user_id, body_row(user_id, key), response.body);
    c.execute(kComplete, {user_id, key, response.status, encoded, body.value_or("")});
  });
}

boost::asio::awaitable<void> DbIdempotencyStore::abandon(std::string user_id, std::string key) {
  co_await db_.write_single([&](db::Connection& c) { c.execute(kDelete, {user_id, key}); });
}

void DbIdempotencyStore::forget_user_in(db::Connection& c, const std::string& user_id) {
  c.execute(kForgetUser, {user_id});
}

boost::asio::awaitable<std::int64_t> DbIdempotencyStore::sweep() {
  auto cutoff = clock_.now_ms() -
                std::chrono::duration_cast<std::chrono::milliseconds>(settings_.retention).count();
  co_return co_await db_.write([&](db::Connection& c) { return c.execute(kSweep, {cutoff}); });
}

}  // namespace companion::idempotency
