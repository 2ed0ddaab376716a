#pragma once
// Billing: plans, the subscription each user has (the free plan until a
// Stripe Checkout completes), metered processing minutes and the quotas
// checked where work is asked for (modules/metering.hpp).
//
// Stripe is the source of truth for paid subscriptions. A webhook is only
// a hint: its signature is checked on the raw body, its id is applied
// once, and the subscription it names is read again from the API, so
// events that arrive late, twice or out of order all leave the state
// Stripe has now. Every change of plan, status or usage is audited.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/outbox/outbox.hpp"
#include "infra/stripe/stripe_client.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/billing/billing_repository.hpp"
#include "modules/billing/plan.hpp"
#include "modules/billing/subscription.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/metering.hpp"

namespace companion::billing {

struct BillingSettings {
  std::string webhook_secret;                     // whsec_…; empty: webhooks are refused
  std::chrono::seconds signature_tolerance{300};  // of a webhook's timestamp
  std::chrono::hours event_memory{24 * 30};       // applied event ids are kept this long
};

struct CheckoutInput {
  std::string plan;
  std::string success_url;
  std::string cancel_url;
};

struct StripeDeps {
  stripe::StripeClient& client;
  async::BlockingPool& pool;  // where its calls block
};

class BillingService final : public modules::Metering {
 public:
  BillingService(BillingSettings settings, Plans plans, db::Database& db, const Clock& clock,
                 audit::AuditLog& audit, interviews::InterviewsService& interviews,
                 outbox::Outbox& outbox, StripeDeps stripe, log::Logger& logger);

  const Plans& plans() const { return plans_; }
  // Writes the plans' retention ceilings where the retention sweeper reads
  // them (at start; every process writes the same from the same file).
  void publish_plans();
  boost::asio::awaitable<SubscriptionView> subscription(std::string user_id);

  // A Stripe Checkout Session for a paid plan (the user's Stripe customer
  // is made on the first one and remembered). ValidationError for an
  // unknown or free plan or a URL that is not http(s); Conflict when a
  // paid subscription is already in force (the portal changes it);
  // Unavailable when Stripe cannot be reached or billing is not set up.
  boost::asio::awaitable<stripe::CheckoutSession> checkout(std::string user_id, CheckoutInput in,
                                                           std::optional<std::string> ip);
  // A Customer Portal session's URL; Conflict before the first checkout.
  boost::asio::awaitable<std::string> portal(std::string user_id, std::string return_url,
                                             std::optional<std::string> ip);

  // POST /v1/billing/webhooks/stripe: BadRequest for a signature that does
  // not verify or a body that is not an event; Unavailable (so Stripe
  // retries) when the subscription cannot be read back now.
  boost::asio::awaitable<void> handle_webhook(std::string payload,
                                              std::optional<std::string> signature);

  // Erasure: the user's Stripe customer is deleted, which cancels any
  // subscription at once (nobody is charged for an account that is gone).
  // Throws Unavailable while Stripe cannot be reached (the erasure job
  // tries again); the rows go with the user's.
  boost::asio::awaitable<void> close_account(std::string user_id);

  // modules::Metering
  void admit_upload_in(db::Connection& c, const std::string& user_id,
                       const std::optional<std::string>& interview_id,
                       std::optional<std::uint64_t> bytes) override;
  void admit_size_in(db::Connection& c, const std::string& user_id, std::uint64_t bytes) override;
  void reserve_in(db::Connection& c, const std::string& job_id, const std::string& user_id,
                  const std::string& interview_id, std::int64_t duration_ms) override;
  void commit_in(db::Connection& c, const std::string& job_id) override;
  void release_in(db::Connection& c, const std::string& job_id) override;
  void release_interview_in(db::Connection& c, const std::string& interview_id) override;

  // Minutes a recording of this length counts for (whole minutes, at
  // least one).
  static std::int64_t minutes_of(std::int64_t duration_ms);

 private:
  struct Applied;
  // In one transaction: the event recorded and the subscription applied.
  Applied apply_in(db::Connection& c, const std::string& event_id, const std::string& event_type,
                   const stripe::Subscription& fetched,
                   const std::optional<std::string>& reference_user);
  boost::asio::awaitable<std::string> customer_for(const std::string& user_id);
  // The user's row (made on the free plan the first time); NotFound for
  // an account that is gone.
  boost::asio::awaitable<StoredSubscription> stored(const std::string& user_id);
  std::int64_t used_in(db::Connection& c, const StoredSubscription& s, std::int64_t now_ms);
  void settle_in(db::Connection& c, const std::string& job_id, const std::string& state);
  void require_stripe() const;
  // The plan in force: the stored one, or the free plan once a paid
  // subscription has lapsed (subscription.hpp).
  const Plan& plan_of(const StoredSubscription& s, std::int64_t now_ms) const;
  // A notice for the user (the notify stage stores it and e-mails it).
  void notify_in(db::Connection& c, const std::string& user_id, std::string type, std::string title,
                 std::string body);

  BillingSettings settings_;
  Plans plans_;
  db::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
  interviews::InterviewsService& interviews_;
  outbox::Outbox& outbox_;
  StripeDeps stripe_;
  log::Logger& logger_;
  BillingRepository repository_;
};

}  // namespace companion::billing
