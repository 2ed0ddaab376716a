#include "modules/webhooks/webhooks_repository.hpp"

#include <boost/json.hpp>

namespace companion::webhooks {
namespace {

#define WEBHOOK_COLUMNS \
  "id, user_id, url, events, description, disabled_at, created_at, consecutive_failures"
#define DELIVERY_COLUMNS                                                                 \
  "webhook_id, id, user_id, type, body, status, attempts, response_status, last_error, " \
  "next_attempt_at, last_attempt_at, created_at"

constexpr const char* kInsert =
    "INSERT INTO webhooks (id, user_id, url, events, description, secret, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
constexpr const char* kFind =
    "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1 AND user_id = $2";
constexpr const char* kFirstPage =
    "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE user_id = $1 ORDER BY id DESC LIMIT $2";
constexpr const char* kPageAfter =
    "SELECT " WEBHOOK_COLUMNS
    " FROM webhooks WHERE user_id = $1 AND id < $3 ORDER BY id DESC LIMIT $2";
constexpr const char* kCount = "SELECT COUNT(*) FROM webhooks WHERE user_id = $1";
constexpr const char* kUpdate =
    "UPDATE webhooks SET url = $3, events = $4, description = $5, disabled_at = $6, "
    "consecutive_failures = $7, updated_at = $8 WHERE id = $1 AND user_id = $2";
constexpr const char* kDelete = "DELETE FROM webhooks WHERE id = $1 AND user_id = $2";
// Events are a JSON array of type names; a type is matched with its quotes.
constexpr const char* kEnqueue =
    "INSERT INTO webhook_deliveries (webhook_id, id, user_id, type, body, status, attempts, "
    "next_attempt_at, created_at) SELECT w.id, $1, $2, $3, $4, 'pending', 0, $5, $5 "
    "FROM webhooks w WHERE w.user_id = $2 AND w.disabled_at IS NULL AND w.events LIKE $6";
constexpr const char* kUnreadable =
    "UPDATE webhook_deliveries SET status = 'failed', last_error = 'the stored body does not "
    "open' WHERE webhook_id = $1 AND id = $2";
constexpr const char* kAnyWants =
    "SELECT 1 FROM webhooks WHERE user_id = $1 AND disabled_at IS NULL AND events LIKE $2 "
    "LIMIT 1";
constexpr const char* kDueSqlite =
    "SELECT d.webhook_id, d.id, d.user_id, d.type, d.body, d.status, d.attempts, "
    "d.response_status, d.last_error, d.next_attempt_at, d.last_attempt_at, d.created_at, "
    "w.url, w.secret FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
    "WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.disabled_at IS NULL ORDER BY "
    "d.next_attempt_at "
    "LIMIT $2";
constexpr const char* kDuePostgres =
    "SELECT d.webhook_id, d.id, d.user_id, d.type, d.body, d.status, d.attempts, "
    "d.response_status, d.last_error, d.next_attempt_at, d.last_attempt_at, d.created_at, "
    "w.url, w.secret FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
    "WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.disabled_at IS NULL ORDER BY "
    "d.next_attempt_at "
    "LIMIT $2 FOR UPDATE OF d SKIP LOCKED";
constexpr const char* kLease =
    "UPDATE webhook_deliveries SET next_attempt_at = $3 WHERE webhook_id = $1 AND id = $2";
constexpr const char* kSucceeded =
    "UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, "
    "response_status = $3, last_error = NULL, last_attempt_at = $4 "
    "WHERE webhook_id = $1 AND id = $2";
constexpr const char* kResetFailures = "UPDATE webhooks SET consecutive_failures = 0 WHERE id = $1";
constexpr const char* kFailed =
    "UPDATE webhook_deliveries SET status = CASE WHEN (SELECT disabled_at FROM webhooks "
    "WHERE id = $1) IS NULL THEN $3 ELSE 'failed' END, attempts = attempts + 1, "
    "response_status = $4, last_error = $5, last_attempt_at = $6, next_attempt_at = $7 "
    "WHERE webhook_id = $1 AND id = $2";
constexpr const char* kCountFailure =
    "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 "
    "RETURNING consecutive_failures";
constexpr const char* kDisable =
    "UPDATE webhooks SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL";
constexpr const char* kFailPending =
    "UPDATE webhook_deliveries SET status = 'failed', last_error = 'the endpoint was disabled' "
    "WHERE webhook_id = $1 AND status = 'pending'";
constexpr const char* kDeliveriesFirst = "SELECT " DELIVERY_COLUMNS
                                         " FROM webhook_deliveries WHERE webhook_id = $1 "
                                         "ORDER BY id DESC LIMIT $2";
constexpr const char* kDeliveriesAfter = "SELECT " DELIVERY_COLUMNS
                                         " FROM webhook_deliveries WHERE webhook_id = $1 "
                                         "AND id < $3 ORDER BY id DESC LIMIT $2";
constexpr const char* kRedeliver =
    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, last_error = NULL "
    "WHERE webhook_id = $1 AND id = $2 RETURNING " DELIVERY_COLUMNS;

#undef WEBHOOK_COLUMNS
#undef DELIVERY_COLUMNS

std::string events_json(const std::vector<std::string>& events) {
  boost::json::array a;
  for (const auto& e : events) a.push_back(boost::json::value(e));
  return boost::json::serialize(a);
}

Webhook webhook_from(const db::Row& r) {
  Webhook w;
  w.id = r.text(0);
  w.user_id = r.text(1);
  w.url = r.text(2);
  boost::system::error_code ec;
  auto events = boost::json::parse(r.text(3), ec);
  if (!ec && events.is_array())
    for (const auto& e : events.get_array())
      if (e.is_string()) w.events.emplace_back(e.get_string());
  w.description = r.text(4);
  w.disabled_at_ms = r.optional_int64(5);
  w.created_at_ms = r.int64(6);
  w.consecutive_failures = static_cast<int>(r.int64(7));
  return w;
}

constexpr const char* kBody = "webhook_deliveries.body";

// The body is bound to the message (one message goes to each endpoint
// that wants it, with the same body).
Delivery delivery_from(const db::Row& r, const users::FieldSeal& seal) {
  auto id = r.text(1);
  auto body = seal.open(kBody, id, r.text(4));
  return {.webhook_id = r.text(0),
          .id = std::move(id),
          .user_id = r.text(2),
          .type = r.text(3),
          .body = std::move(body),
          .status = r.text(5),
          .attempts = static_cast<int>(r.int64(6)),
          .response_status = r.optional_int64(7),
          .last_error = r.optional_text(8),
          .next_attempt_at_ms = r.int64(9),
          .last_attempt_at_ms = r.optional_int64(10),
          .created_at_ms = r.int64(11)};
}

}  // namespace

void WebhooksRepository::insert(db::Connection& c, const Webhook& w,
                                const std::string& sealed_secret, std::int64_t now_ms) {
  c.execute(kInsert,
            {w.id, w.user_id, w.url, events_json(w.events), w.description, sealed_secret, now_ms});
}

std::optional<Webhook> WebhooksRepository::find(db::Connection& c, const std::string& user_id,
                                                const std::string& id) {
  auto row = c.query_one(kFind, {id, user_id});
  if (!row) return std::nullopt;
  return webhook_from(*row);
}

std::vector<Webhook> WebhooksRepository::list(db::Connection& c, const std::string& user_id,
                                              const std::optional<std::string>& after, int limit) {
  auto rows =
      after ? c.query(kPageAfter, {user_id, limit, *after}) : c.query(kFirstPage, {user_id, limit});
  std::vector<Webhook> out;
  for (const auto& r : rows) out.push_back(webhook_from(r));
  return out;
}

std::int64_t WebhooksRepository::count(db::Connection& c, const std::string& user_id) {
  return c.query_one(kCount, {user_id})->int64(0);
}

void WebhooksRepository::update(db::Connection& c, const Webhook& w, std::int64_t now_ms) {
  c.execute(kUpdate, {w.id, w.user_id, w.url, events_json(w.events), w.description,
                      w.disabled_at_ms, w.consecutive_failures, now_ms});
}

bool WebhooksRepository::remove(db::Connection& c, const std::string& user_id,
                                const std::string& id) {
  return c.execute(kDelete, {id, user_id}) == 1;
}

void WebhooksRepository::enqueue(db::Connection& c, const std::string& message_id,
                                 const std::string& user_id, const std::string& type,
                                 const std::string& body, std::int64_t now_ms) {
  auto wants = "%\"" + type + "\"%";
  if (!c.query_one(kAnyWants, {user_id, wants})) return;  // no key needed for nobody
  auto seal = keys_.live_fields_for_writing_in(c, user_id);
  if (!seal) return;
  c.execute_deferred(
      kEnqueue, {message_id, user_id, type, seal->seal(kBody, message_id, body), now_ms, wants});
}

std::vector<Due> WebhooksRepository::claim(db::Connection& c, std::int64_t now_ms,
                                           std::int64_t lease_until_ms, int limit) {
  auto rows =
      c.query(c.dialect() == db::Dialect::kPostgres ? kDuePostgres : kDueSqlite, {now_ms, limit});
  std::vector<Due> out;
  for (const auto& r : rows) {
    // A body that does not open (altered, or its account is being erased)
    // fails alone; the rest go out.
    std::optional<Delivery> delivery;
    try {
      auto seal = keys_.fields_for_reading_in(c, r.text(2));
      if (!seal.is_shredded()) delivery = delivery_from(r, seal);
    } catch (const users::SealedFieldError&) {
    }
    if (!delivery) {
      c.execute(kUnreadable, {r.text(0), r.text(1)});
      continue;
    }
    Due d{std::move(*delivery), r.text(12), r.text(13)};
    c.execute(kLease, {d.delivery.webhook_id, d.delivery.id, lease_until_ms});
    out.push_back(std::move(d));
  }
  return out;
}

void WebhooksRepository::succeeded(db::Connection& c, const Delivery& d, long status,
                                   std::int64_t now_ms) {
  c.execute(kSucceeded, {d.webhook_id, d.id, static_cast<std::int64_t>(status), now_ms});
  c.execute(kResetFailures, {d.webhook_id});
}

int WebhooksRepository::failed(db::Connection& c, const Delivery& d, std::optional<long> status,
                               const std::string& error, std::optional<std::int64_t> next_ms,
                               std::int64_t now_ms) {
  std::optional<std::int64_t> code;
  if (status) code = static_cast<std::int64_t>(*status);
  c.execute(kFailed, {d.webhook_id, d.id, next_ms ? "pending" : "failed", code, error, now_ms,
                      next_ms.value_or(now_ms)});
  auto row = c.query_one(kCountFailure, {d.webhook_id});
  return row ? static_cast<int>(row->int64(0)) : 0;
}

bool WebhooksRepository::disable(db::Connection& c, const std::string& webhook_id,
                                 std::int64_t now_ms) {
  if (c.execute(kDisable, {webhook_id, now_ms}) != 1) return false;
  c.execute(kFailPending, {webhook_id});
  return true;
}

std::vector<Delivery> WebhooksRepository::deliveries(db::Connection& c,
                                                     const std::string& webhook_id,
                                                     const std::optional<std::string>& after,
                                                     int limit) {
  auto rows = after ? c.query(kDeliveriesAfter, {webhook_id, limit, *after})
                    : c.query(kDeliveriesFirst, {webhook_id, limit});
  std::vector<Delivery> out;
  if (rows.empty()) return out;
  auto seal = keys_.fields_for_reading_in(c, rows.front().text(2));  // one endpoint's
  for (const auto& r : rows) out.push_back(delivery_from(r, seal));
  return out;
}

std::optional<Delivery> WebhooksRepository::redeliver(db::Connection& c,
                                                      const std::string& webhook_id,
                                                      const std::string& id, std::int64_t now_ms) {
  auto row = c.query_one(kRedeliver, {webhook_id, id, now_ms});
  if (!row) return std::nullopt;
  return delivery_from(*row, keys_.fields_for_reading_in(c, row->text(2)));
}

}  // namespace companion::webhooks
