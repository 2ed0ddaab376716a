#include "modules/realtime/realtime_repository.hpp"

#include <boost/json.hpp>

namespace companion::realtime {
namespace {

// (The WHERE clause also keeps SQLite's parser from reading ON CONFLICT as
// part of the SELECT.)
constexpr const char* kNextSeq =
    "INSERT INTO user_event_heads (user_id, last_seq) "
    "SELECT $1, 1 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) "
    "ON CONFLICT (user_id) DO UPDATE SET last_seq = user_event_heads.last_seq + 1 "
    "RETURNING last_seq";
constexpr const char* kInsert =
    "INSERT INTO user_events (user_id, seq, type, interview_id, data, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
constexpr const char* kHead =
    "SELECT last_seq, pruned_seq FROM user_event_heads WHERE user_id = $1";
constexpr const char* kBetween =
    "SELECT seq, type, interview_id, data, created_at FROM user_events "
    "WHERE user_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4";
// The oldest events due for pruning: their users' marks go up first.
constexpr const char* kPrunable =
    "SELECT user_id, MAX(seq), COUNT(*) FROM (SELECT user_id, seq FROM user_events "
    "WHERE created_at < $1 ORDER BY created_at LIMIT $2) AS due GROUP BY user_id";
constexpr const char* kRaisePruned =
    "UPDATE user_event_heads SET pruned_seq = $2 WHERE user_id = $1 AND pruned_seq < $2";
constexpr const char* kDeleteUpTo = "DELETE FROM user_events WHERE user_id = $1 AND seq <= $2";
constexpr const char* kInsertTicket =
    "INSERT INTO realtime_tickets (ticket_hash, user_id, session_id, expires_at) "
    "VALUES ($1, $2, $3, $4)";
constexpr const char* kTakeTicket =
    "DELETE FROM realtime_tickets WHERE ticket_hash = $1 RETURNING user_id, session_id, "
    "expires_at";
// A ticket outlives nothing: its session must still be signed in (a
// logout, a password change or an erasure revoked it otherwise).
constexpr const char* kSessionLive =
    "SELECT 1 FROM refresh_families WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL";
constexpr const char* kRemoveExpiredTickets = "DELETE FROM realtime_tickets WHERE expires_at < $1";

constexpr const char* kData = "user_events.data";

std::string event_row(const std::string& user_id, std::int64_t seq) {
  return user_id + ":" + std::to_string(seq);
}

}  // namespace

std::optional<std::int64_t> RealtimeRepository::next_seq(db::Connection& c,
                                                         const std::string& user_id) {
  auto row = c.query_one(kNextSeq, {user_id});
  if (!row) return std::nullopt;
  return row->int64(0);
}

bool RealtimeRepository::insert(db::Connection& c, const Event& e) {
  auto seal = keys_.live_fields_for_writing_in(c, e.user_id);
  if (!seal) return false;
  c.execute_deferred(
      kInsert,
      {e.user_id, *e.seq, e.type, e.interview_id,
       seal->seal(kData, event_row(e.user_id, *e.seq), boost::json::serialize(e.data)), e.at_ms});
  return true;
}

Head RealtimeRepository::head(db::Connection& c, const std::string& user_id) {
  auto row = c.query_one(kHead, {user_id});
  if (!row) return {};
  return {row->int64(0), row->int64(1)};
}

std::vector<Event> RealtimeRepository::between(db::Connection& c, const std::string& user_id,
                                               std::int64_t after, std::int64_t up_to,
                                               std::size_t limit) {
  std::vector<Event> out;
  auto rows = c.query(kBetween, {user_id, after, up_to, static_cast<std::int64_t>(limit)});
  if (rows.empty()) return out;
  auto seal = keys_.fields_for_reading_in(c, user_id);
  for (const auto& r : rows) {
    Event e;
    e.user_id = user_id;
    e.seq = r.int64(0);
    e.type = r.text(1);
    e.interview_id = r.optional_text(2);
    boost::system::error_code ec;
    auto data = boost::json::parse(seal.open(kData, event_row(user_id, *e.seq), r.text(3)), ec);
    if (!ec && data.is_object()) e.data = std::move(data.get_object());
    e.at_ms = r.int64(4);
    out.push_back(std::move(e));
  }
  return out;
}

std::size_t RealtimeRepository::prune(db::Connection& c, std::int64_t before_ms,
                                      std::size_t limit) {
  std::size_t removed = 0;
  for (const auto& r : c.query(kPrunable, {before_ms, static_cast<std::int64_t>(limit)})) {
    auto user = r.text(0);
    auto up_to = r.int64(1);
    c.execute(kRaisePruned, {user, up_to});
    removed += static_cast<std::size_t>(c.execute(kDeleteUpTo, {user, up_to}));
  }
  return removed;
}

void RealtimeRepository::insert_ticket(db::Connection& c, const std::string& hash,
                                       const std::string& user_id, const std::string& session_id,
                                       std::int64_t expires_at_ms) {
  c.execute(kInsertTicket, {hash, user_id, session_id, expires_at_ms});
}

std::optional<std::pair<std::string, std::string>> RealtimeRepository::take_ticket(
    db::Connection& c, const std::string& hash, std::int64_t now_ms) {
  auto row = c.query_one(kTakeTicket, {hash});
  if (!row || row->int64(2) < now_ms) return std::nullopt;
  if (!c.query_one(kSessionLive, {row->text(1), row->text(0)})) return std::nullopt;
  return std::make_pair(row->text(0), row->text(1));
}

std::size_t RealtimeRepository::remove_expired_tickets(db::Connection& c, std::int64_t now_ms) {
  return static_cast<std::size_t>(c.execute(kRemoveExpiredTickets, {now_ms}));
}

}  // namespace companion::realtime
