#include "modules/billing/billing_repository.hpp"

namespace companion::billing {
namespace {

#define SUBSCRIPTION_COLUMNS                                                             \
  "user_id, plan_id, status, stripe_customer_id, stripe_subscription_id, period_start, " \
  "period_end, cancel_at_period_end, updated_at, notice_period, notice_level"
#define LEDGER_COLUMNS "job_id, user_id, interview_id, minutes, state"

constexpr const char* kEnsure =
    "INSERT INTO subscriptions (user_id, plan_id, status, updated_at) "
    "SELECT $1, $2, 'active', $3 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) "
    "ON CONFLICT (user_id) DO NOTHING";
constexpr const char* kFind =
    "SELECT " SUBSCRIPTION_COLUMNS " FROM subscriptions WHERE user_id = $1";
constexpr const char* kLock =
    "SELECT " SUBSCRIPTION_COLUMNS " FROM subscriptions WHERE user_id = $1 FOR UPDATE";
constexpr const char* kFindByCustomer =
    "SELECT " SUBSCRIPTION_COLUMNS " FROM subscriptions WHERE stripe_customer_id = $1";
constexpr const char* kSetCustomer =
    "UPDATE subscriptions SET stripe_customer_id = $2, updated_at = $3 "
    "WHERE user_id = $1 AND stripe_customer_id IS NULL";
constexpr const char* kUpdate =
    "UPDATE subscriptions SET plan_id = $2, status = $3, stripe_subscription_id = $4, "
    "period_start = $5, period_end = $6, cancel_at_period_end = $7, updated_at = $8 "
    "WHERE user_id = $1";

constexpr const char* kNoticed =
    "UPDATE subscriptions SET notice_period = $2, notice_level = $3 WHERE user_id = $1";
constexpr const char* kReserve =
    "INSERT INTO usage_ledger (job_id, user_id, interview_id, minutes, state, reserved_at) "
    "VALUES ($1, $2, $3, $4, 'reserved', $5) ON CONFLICT (job_id) DO NOTHING";
constexpr const char* kEntry = "SELECT " LEDGER_COLUMNS " FROM usage_ledger WHERE job_id = $1";
constexpr const char* kSettle =
    "UPDATE usage_ledger SET state = $2, settled_at = $3 WHERE job_id = $1 AND state = "
    "'reserved'";
constexpr const char* kOpenForInterview =
    "SELECT " LEDGER_COLUMNS
    " FROM usage_ledger WHERE interview_id = $1 AND state = 'reserved' ORDER BY job_id";
constexpr const char* kUsed =
    "SELECT COALESCE(SUM(minutes), 0) FROM usage_ledger WHERE user_id = $1 "
    "AND state IN ('reserved', 'committed') AND reserved_at >= $2 AND reserved_at < $3";

constexpr const char* kClearPlanRetention = "DELETE FROM plan_retention";
constexpr const char* kPlanRetention =
    "INSERT INTO plan_retention (plan_id, days, is_free) VALUES ($1, $2, $3)";

constexpr const char* kEventSeen = "SELECT 1 FROM stripe_events WHERE id = $1";
constexpr const char* kRecordEvent =
    "INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (id) DO NOTHING";
constexpr const char* kPruneEvents = "DELETE FROM stripe_events WHERE received_at < $1";

StoredSubscription subscription_from(const db::Row& r) {
  return {.user_id = r.text(0),
          .plan_id = r.text(1),
          .status = r.text(2),
          .customer_id = r.optional_text(3),
          .subscription_id = r.optional_text(4),
          .period_start_ms = r.optional_int64(5),
          .period_end_ms = r.optional_int64(6),
          .cancel_at_period_end = r.int64(7) != 0,
          .updated_at_ms = r.int64(8),
          .notice_period_ms = r.optional_int64(9),
          .notice_level = static_cast<int>(r.int64(10))};
}

LedgerEntry entry_from(const db::Row& r) {
  return {r.text(0), r.text(1), r.text(2), r.int64(3), r.text(4)};
}

}  // namespace

std::optional<StoredSubscription> BillingRepository::ensure(db::Connection& c,
                                                            const std::string& user_id,
                                                            const std::string& free_plan,
                                                            std::int64_t now_ms, bool lock) {
  c.execute(kEnsure, {user_id, free_plan, now_ms});
  // SQLite has one writer at a time: the transaction is the lock there.
  auto sql = lock && c.dialect() == db::Dialect::kPostgres ? kLock : kFind;
  auto row = c.query_one(sql, {user_id});
  if (!row) return std::nullopt;
  return subscription_from(*row);
}

std::optional<StoredSubscription> BillingRepository::find(db::Connection& c,
                                                          const std::string& user_id) {
  auto row = c.query_one(kFind, {user_id});
  if (!row) return std::nullopt;
  return subscription_from(*row);
}

std::optional<StoredSubscription> BillingRepository::find_by_customer(
    db::Connection& c, const std::string& customer_id) {
  auto row = c.query_one(kFindByCustomer, {customer_id});
  if (!row) return std::nullopt;
  return subscription_from(*row);
}

std::optional<std::string> BillingRepository::set_customer(db::Connection& c,
                                                           const std::string& user_id,
                                                           const std::string& customer_id,
                                                           std::int64_t now_ms) {
  c.execute(kSetCustomer, {user_id, customer_id, now_ms});
  auto s = find(c, user_id);
  return s ? s->customer_id : std::nullopt;
}

void BillingRepository::update(db::Connection& c, const StoredSubscription& s) {
  c.execute(kUpdate,
            {s.user_id, s.plan_id, s.status, s.subscription_id, s.period_start_ms, s.period_end_ms,
             std::int64_t(s.cancel_at_period_end ? 1 : 0), s.updated_at_ms});
}

void BillingRepository::noticed(db::Connection& c, const std::string& user_id,
                                std::int64_t period_ms, int level) {
  c.execute(kNoticed, {user_id, period_ms, level});
}

bool BillingRepository::reserve(db::Connection& c, const LedgerEntry& e, std::int64_t now_ms) {
  return c.execute(kReserve, {e.job_id, e.user_id, e.interview_id, e.minutes, now_ms}) == 1;
}

std::optional<LedgerEntry> BillingRepository::entry(db::Connection& c, const std::string& job_id) {
  auto row = c.query_one(kEntry, {job_id});
  if (!row) return std::nullopt;
  return entry_from(*row);
}

bool BillingRepository::settle(db::Connection& c, const std::string& job_id,
                               const std::string& state, std::int64_t now_ms) {
  return c.execute(kSettle, {job_id, state, now_ms}) == 1;
}

std::vector<LedgerEntry> BillingRepository::open_for_interview(db::Connection& c,
                                                               const std::string& interview_id) {
  std::vector<LedgerEntry> out;
  for (auto& r : c.query(kOpenForInterview, {interview_id})) out.push_back(entry_from(r));
  return out;
}

std::int64_t BillingRepository::used_minutes(db::Connection& c, const std::string& user_id,
                                             std::int64_t start_ms, std::int64_t end_ms) {
  return c.query_one(kUsed, {user_id, start_ms, end_ms})->int64(0);
}

void BillingRepository::replace_plan_retention(db::Connection& c, const std::vector<Plan>& plans) {
  c.execute(kClearPlanRetention);
  for (const auto& p : plans)
    c.execute(kPlanRetention, {p.id, p.retention_days, std::int64_t(p.price_id ? 0 : 1)});
}

bool BillingRepository::event_seen(db::Connection& c, const std::string& event_id) {
  return c.query_one(kEventSeen, {event_id}).has_value();
}

bool BillingRepository::record_event(db::Connection& c, const std::string& event_id,
                                     const std::string& type, std::int64_t now_ms) {
  return c.execute(kRecordEvent, {event_id, type, now_ms}) == 1;
}

std::int64_t BillingRepository::prune_events(db::Connection& c, std::int64_t before_ms) {
  return c.execute(kPruneEvents, {before_ms});
}

}  // namespace companion::billing
