#include "modules/billing/subscription.hpp"

#include <chrono>

#include "infra/clock/rfc3339.hpp"

namespace companion::billing {

bool gives_plan(std::string_view status) {
  return status == "active" || status == "trialing" || status == "past_due";
}

Period calendar_month(std::int64_t now_ms) {
  using namespace std::chrono;
  auto day = floor<days>(sys_time<milliseconds>(milliseconds(now_ms)));
  year_month_day ymd(day);
  auto first = sys_days(ymd.year() / ymd.month() / 1);
  auto next = sys_days((ymd.year() / ymd.month() + months(1)) / 1);
  return {duration_cast<milliseconds>(first.time_since_epoch()).count(),
          duration_cast<milliseconds>(next.time_since_epoch()).count()};
}

Period period_of(const StoredSubscription& s, std::int64_t now_ms) {
  if (gives_plan(s.status) && s.subscription_id && s.period_start_ms && s.period_end_ms &&
      *s.period_start_ms <= now_ms && now_ms < *s.period_end_ms)
    return {*s.period_start_ms, *s.period_end_ms};
  return calendar_month(now_ms);
}

bool lapsed(const StoredSubscription& s, std::int64_t now_ms) {
  constexpr std::int64_t kGrace = 7 * 86'400'000;
  return s.subscription_id && s.period_end_ms && now_ms > *s.period_end_ms + kGrace;
}

boost::json::object to_json(const SubscriptionView& v) {
  boost::json::object o;
  o["plan"] = v.plan.id;
  o["status"] = v.stored.status;
  o["currentPeriodEnd"] = format_rfc3339(v.period.end_ms);
  o["cancelAtPeriodEnd"] = v.stored.cancel_at_period_end;
  o["usage"] = {{"minutes", v.used_minutes},
                {"limitMinutes", v.plan.monthly_minutes},
                {"periodStart", format_rfc3339(v.period.start_ms)},
                {"periodEnd", format_rfc3339(v.period.end_ms)}};
  return o;
}

}  // namespace companion::billing
