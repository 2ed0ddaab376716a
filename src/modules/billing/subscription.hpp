#pragma once
// A user's subscription as stored, and the usage of a period.
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "modules/billing/plan.hpp"

namespace companion::billing {

struct StoredSubscription {
  std::string user_id;
  std::string plan_id;
  std::string status;  // Stripe's; "active" for a user who never paid
  std::optional<std::string> customer_id;
  std::optional<std::string> subscription_id;
  std::optional<std::int64_t> period_start_ms;  // Stripe's, for a paid plan
  std::optional<std::int64_t> period_end_ms;
  bool cancel_at_period_end = false;
  std::int64_t updated_at_ms = 0;
  std::optional<std::int64_t> notice_period_ms;  // the last usage notice's period
  int notice_level = 0;                          // and its level (80, 100)
};

// The statuses in which a paid subscription gives its plan: `past_due`
// keeps it while Stripe retries the payment (the dunning period).
bool gives_plan(std::string_view status);

// The metering period: [start, end).
struct Period {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
};
// The calendar month (UTC) holding `now_ms`.
Period calendar_month(std::int64_t now_ms);
// Stripe's period while a paid plan is in force and `now_ms` within it;
// the calendar month otherwise.
Period period_of(const StoredSubscription& s, std::int64_t now_ms);
// A paid subscription whose period ended more than a week ago with no word
// from Stripe (its events lost, the endpoint disabled): it no longer gives
// its plan.
bool lapsed(const StoredSubscription& s, std::int64_t now_ms);

struct SubscriptionView {
  Plan plan;
  StoredSubscription stored;
  Period period;
  std::int64_t used_minutes = 0;
};

// The contract's GET /v1/billing/subscription answer.
boost::json::object to_json(const SubscriptionView& v);

}  // namespace companion::billing
