#pragma once
// The billing module's tables: subscriptions, the usage ledger and the
// Stripe events applied. Named SQL, both dialects.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"
#include "modules/billing/subscription.hpp"

namespace companion::billing {

struct LedgerEntry {
  std::string job_id;
  std::string user_id;
  std::string interview_id;
  std::int64_t minutes = 0;
  std::string state;  // reserved, committed, released
};

class BillingRepository {
 public:
  // The user's row, made on the free plan when missing; nullopt when the
  // user does not exist. `lock`: on PostgreSQL the row stays locked until
  // the transaction ends (reservations of one user take turns).
  std::optional<StoredSubscription> ensure(db::Connection& c, const std::string& user_id,
                                           const std::string& free_plan, std::int64_t now_ms,
                                           bool lock = false);
  std::optional<StoredSubscription> find(db::Connection& c, const std::string& user_id);
  std::optional<StoredSubscription> find_by_customer(db::Connection& c,
                                                     const std::string& customer_id);
  // Sets the customer unless one is set; returns the one stored.
  std::optional<std::string> set_customer(db::Connection& c, const std::string& user_id,
                                          const std::string& customer_id, std::int64_t now_ms);
  void update(db::Connection& c, const StoredSubscription& s);
  // The usage notice of `level` % was sent for the period starting then.
  void noticed(db::Connection& c, const std::string& user_id, std::int64_t period_ms, int level);

  // False when the job already has an entry (in any state).
  bool reserve(db::Connection& c, const LedgerEntry& e, std::int64_t now_ms);
  std::optional<LedgerEntry> entry(db::Connection& c, const std::string& job_id);
  // Moves an open reservation to `state`; false when it was not open.
  bool settle(db::Connection& c, const std::string& job_id, const std::string& state,
              std::int64_t now_ms);
  // The open reservations of an interview.
  std::vector<LedgerEntry> open_for_interview(db::Connection& c, const std::string& interview_id);
  // Reserved and committed minutes reserved within [start, end).
  std::int64_t used_minutes(db::Connection& c, const std::string& user_id, std::int64_t start_ms,
                            std::int64_t end_ms);

  // The plans' retention ceilings, for the retention sweeper's query.
  void replace_plan_retention(db::Connection& c, const std::vector<Plan>& plans);

  bool event_seen(db::Connection& c, const std::string& event_id);
  // False when it was recorded already.
  bool record_event(db::Connection& c, const std::string& event_id, const std::string& type,
                    std::int64_t now_ms);
  // Forgets events received before `before_ms` (Stripe stops retrying
  // after three days); returns how many.
  std::int64_t prune_events(db::Connection& c, std::int64_t before_ms);
};

}  // namespace companion::billing
