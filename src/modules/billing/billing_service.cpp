#include "modules/billing/billing_service.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <fmt/format.h>

#include "infra/crypto/encoding.hpp"
#include "infra/errors/errors.hpp"
#include "infra/stripe/signature.hpp"

namespace companion::billing {
namespace {

namespace json = boost::json;

std::optional<std::string> string_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().get_string());
}

// A field Stripe sends as an id or, expanded, as an object with one.
std::optional<std::string> id_at(const json::object& o, std::string_view key) {
  if (auto s = string_at(o, key)) return s;
  auto it = o.find(key);
  if (it != o.end() && it->value().is_object()) return string_at(it->value().get_object(), "id");
  return std::nullopt;
}

const json::object* object_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

// What an event is about: the subscription to read back, and for a
// completed checkout the user it was for.
struct Subject {
  std::optional<std::string> subscription;
  std::optional<std::string> reference_user;
};

Subject subject_of(std::string_view type, const json::object& object) {
  Subject s;
  if (type == "checkout.session.completed" || type == "checkout.session.async_payment_succeeded") {
    if (string_at(object, "mode").value_or("") == "subscription") {
      s.subscription = id_at(object, "subscription");
      s.reference_user = string_at(object, "client_reference_id");
    }
  } else if (type.rfind("customer.subscription.", 0) == 0) {
    s.subscription = string_at(object, "id");
  } else if (type.rfind("invoice.", 0) == 0) {
    s.subscription = id_at(object, "subscription");
    // Newer API versions moved it under parent.subscription_details.
    if (!s.subscription)
      if (auto parent = object_at(object, "parent"))
        if (auto details = object_at(*parent, "subscription_details"))
          s.subscription = id_at(*details, "subscription");
  }
  return s;
}

void check_url(std::vector<FieldError>& errors, const std::string& field, const std::string& url) {
  auto parsed = url.size() <= 2048 ? boost::urls::parse_absolute_uri(url)
                                   : boost::system::result<boost::urls::url_view>();
  bool ok = parsed && (parsed->scheme() == "https" || parsed->scheme() == "http") &&
            !parsed->encoded_host().empty();
  if (!ok) errors.push_back({field, "must be an absolute http(s) URL of at most 2048 characters"});
}

std::string minutes_text(std::int64_t n) {
  return n == 1 ? "1 minute" : std::to_string(n) + " minutes";
}

}  // namespace

struct BillingService::Applied {
  std::optional<std::string> user_id;
  bool changed = false;
};

BillingService::BillingService(BillingSettings settings, Plans plans, db::Database& db,
                               const Clock& clock, audit::AuditLog& audit,
                               interviews::InterviewsService& interviews, outbox::Outbox& outbox,
                               StripeDeps stripe, log::Logger& logger)
    : settings_(std::move(settings)),
      plans_(std::move(plans)),
      db_(db),
      clock_(clock),
      audit_(audit),
      interviews_(interviews),
      outbox_(outbox),
      stripe_(stripe),
      logger_(logger) {}

void BillingService::publish_plans() {
  auto write = [&](db::Connection& c) { repository_.replace_plan_retention(c, plans_.all()); };
  db_.transact(write);
}

std::int64_t BillingService::minutes_of(std::int64_t duration_ms) {
  return std::max<std::int64_t>(1, (duration_ms + 59'999) / 60'000);
}

std::int64_t BillingService::used_in(db::Connection& c, const StoredSubscription& s,
                                     std::int64_t now_ms) {
  auto period = period_of(s, now_ms);
  return repository_.used_minutes(c, s.user_id, period.start_ms, period.end_ms);
}

boost::asio::awaitable<SubscriptionView> BillingService::subscription(std::string user_id) {
  auto now = clock_.now_ms();
  auto view_of =
      [&](db::Connection& c,
          const std::optional<StoredSubscription>& s) -> std::optional<SubscriptionView> {
    if (!s) return std::nullopt;
    return SubscriptionView{plan_of(*s, now), *s, period_of(*s, now), used_in(c, *s, now)};
  };
  // A read; the row is made (a write) only the first time.
  auto view = co_await db_.read(
      [&](db::Connection& c) { return view_of(c, repository_.find(c, user_id)); });
  if (!view)
    view = co_await db_.write([&](db::Connection& c) {
      return view_of(c, repository_.ensure(c, user_id, plans_.free_plan().id, now));
    });
  if (!view) throw NotFound("The account does not exist.");
  co_return *view;
}

boost::asio::awaitable<StoredSubscription> BillingService::stored(const std::string& user_id) {
  auto now = clock_.now_ms();
  auto s = co_await db_.write([&](db::Connection& c) {
    return repository_.ensure(c, user_id, plans_.free_plan().id, now);
  });
  if (!s) throw NotFound("The account does not exist.");
  co_return *s;
}

const Plan& BillingService::plan_of(const StoredSubscription& s, std::int64_t now_ms) const {
  return lapsed(s, now_ms) ? plans_.free_plan() : plans_.resolve(s.plan_id);
}

void BillingService::require_stripe() const {
  if (!stripe_.client.configured())
    throw Unavailable("Payments are not set up on this server (no Stripe key).");
}

boost::asio::awaitable<std::string> BillingService::customer_for(const std::string& user_id) {
  if (auto known = (co_await stored(user_id)).customer_id) co_return *known;
  // The same key for the same user: two checkouts at once, or a retry
  // after a lost answer, get the one customer back from Stripe.
  auto made = co_await stripe_.pool.run(
      [&] { return stripe_.client.create_customer(user_id, "customer-" + user_id); });
  auto kept = co_await db_.write([&](db::Connection& c) {
    return repository_.set_customer(c, user_id, made, clock_.now_ms());
  });
  if (!kept) throw NotFound("The account does not exist.");
  co_return *kept;
}

boost::asio::awaitable<stripe::CheckoutSession> BillingService::checkout(
    std::string user_id, CheckoutInput in, std::optional<std::string> ip) {
  std::vector<FieldError> errors;
  const Plan* plan = plans_.find(in.plan);
  if (!plan)
    errors.push_back({"plan", "is not a plan (GET /v1/billing/plans lists them)"});
  else if (!plan->price_id)
    errors.push_back({"plan", "is the free plan, which needs no checkout"});
  check_url(errors, "successUrl", in.success_url);
  check_url(errors, "cancelUrl", in.cancel_url);
  if (!errors.empty()) throw ValidationError(std::move(errors));
  require_stripe();

  auto current = co_await stored(user_id);
  if (current.subscription_id && gives_plan(current.status))
    throw Conflict(
        "A subscription is already in force; change or cancel it in the billing portal (POST "
        "/v1/billing/portal).");

  stripe::CheckoutSession session;
  try {
    auto customer = co_await customer_for(user_id);
    stripe::CheckoutRequest request{
        .customer = customer,
        .price_id = *plan->price_id,
        .user_id = user_id,
        .plan_id = plan->id,
        .success_url = in.success_url,
        .cancel_url = in.cancel_url,
        .idempotency_key = "checkout-" + crypto::hex_encode(crypto::random_bytes(16))};
    session =
        co_await stripe_.pool.run([&] { return stripe_.client.create_checkout_session(request); });
  } catch (const stripe::StripeError& e) {
    logger_.error("a Stripe call failed", {{"call", "checkout"}, {"error", e.what()}});
    throw Unavailable("The payment provider could not be reached; try again shortly.");
  }
  co_await db_.write([&](db::Connection& c) {
    audit_.append_in(c, {.action = "billing.checkout_started",
                         .user_id = user_id,
                         .ip = ip,
                         .detail = {{"plan", plan->id}, {"session", session.id}}});
  });
  co_return session;
}

boost::asio::awaitable<std::string> BillingService::portal(std::string user_id,
                                                           std::string return_url,
                                                           std::optional<std::string> ip) {
  std::vector<FieldError> errors;
  check_url(errors, "returnUrl", return_url);
  if (!errors.empty()) throw ValidationError(std::move(errors));
  require_stripe();
  auto current = co_await stored(user_id);
  if (!current.customer_id)
    throw Conflict(
        "There is no billing account yet; start with a checkout (POST /v1/billing/checkout).");
  std::string url;
  try {
    url = co_await stripe_.pool.run([&] {
      return stripe_.client.create_portal_session(
          *current.customer_id, return_url,
          "portal-" + crypto::hex_encode(crypto::random_bytes(16)));
    });
  } catch (const stripe::StripeError& e) {
    logger_.error("a Stripe call failed", {{"call", "portal"}, {"error", e.what()}});
    throw Unavailable("The payment provider could not be reached; try again shortly.");
  }
  co_await db_.write([&](db::Connection& c) {
    audit_.append_in(c, {.action = "billing.portal_opened", .user_id = user_id, .ip = ip});
  });
  co_return url;
}

boost::asio::awaitable<void> BillingService::close_account(std::string user_id) {
  auto stored = co_await db_.read([&](db::Connection& c) { return repository_.find(c, user_id); });
  if (!stored || !stored->customer_id) co_return;
  if (!stripe_.client.configured()) {
    logger_.error(
        "an erased account has a Stripe customer but no Stripe key is set: delete it in Stripe",
        {{"customer", *stored->customer_id}});
    co_return;
  }
  bool deleted = false;
  try {
    deleted = co_await stripe_.pool.run(
        [&] { return stripe_.client.delete_customer(*stored->customer_id); });
  } catch (const stripe::StripeError& e) {
    logger_.error("a Stripe call failed", {{"call", "delete customer"}, {"error", e.what()}});
    throw Unavailable("The payment provider could not be reached; the erasure tries again.");
  }
  logger_.info("the Stripe customer of an erased account was deleted",
               {{"customer", *stored->customer_id}, {"existed", deleted}});
}

boost::asio::awaitable<void> BillingService::handle_webhook(std::string payload,
                                                            std::optional<std::string> signature) {
  if (settings_.webhook_secret.empty())
    throw Unavailable("Stripe webhooks are not set up on this server (no signing secret).");
  if (!signature) throw BadRequest("The Stripe-Signature header is missing.");
  auto now_s = clock_.now_ms() / 1000;
  switch (stripe::verify_signature(*signature, payload, settings_.webhook_secret, now_s,
                                   settings_.signature_tolerance.count())) {
    case stripe::Verdict::kValid:
      break;
    case stripe::Verdict::kMalformed:
      throw BadRequest("The Stripe-Signature header has no timestamp or no v1 signature.");
    case stripe::Verdict::kStale:
      logger_.warn("a Stripe webhook arrived with a stale timestamp", {});
      throw BadRequest("The Stripe-Signature timestamp is outside the tolerance.");
    case stripe::Verdict::kMismatch:
      logger_.warn("a Stripe webhook signature did not verify", {});
      throw BadRequest("The Stripe-Signature does not match the body.");
  }

  boost::system::error_code ec;
  auto doc = json::parse(payload, ec);
  if (ec || !doc.is_object()) throw BadRequest("The body is not a Stripe event.");
  const auto& event = doc.get_object();
  auto id = string_at(event, "id");
  auto type = string_at(event, "type");
  auto data = object_at(event, "data");
  auto object = data ? object_at(*data, "object") : nullptr;
  if (!id || !type || !object || id->empty() || id->size() > 255 || type->size() > 255)
    throw BadRequest("The body is not a Stripe event (id, type, data.object).");

  bool seen = co_await db_.read([&](db::Connection& c) { return repository_.event_seen(c, *id); });
  if (seen) {
    logger_.debug("a Stripe event came again", {{"eventId", *id}});
    co_return;
  }
  auto subject = subject_of(*type, *object);
  std::optional<stripe::Subscription> fetched;
  if (subject.subscription && stripe_.client.configured()) {
    // Never the event's copy: what Stripe holds now, so events in any
    // order, and replays, leave the same state.
    try {
      fetched = co_await stripe_.pool.run(
          [&] { return stripe_.client.subscription(*subject.subscription); });
    } catch (const stripe::StripeError& e) {
      if (e.kind() != stripe::StripeError::Kind::kNotFound) {
        logger_.error("a Stripe call failed", {{"call", "subscription"}, {"error", e.what()}});
        throw Unavailable("The subscription could not be read back from Stripe; retry later.");
      }
      logger_.warn("a Stripe event names a subscription Stripe does not know",
                   {{"eventId", *id}, {"type", *type}});
    }
  } else if (subject.subscription) {
    logger_.warn("a Stripe event arrived but no Stripe key is set to read it back",
                 {{"eventId", *id}});
    throw Unavailable("Payments are not set up on this server (no Stripe key).");
  }
  auto now = clock_.now_ms();
  auto applied = co_await db_.write([&](db::Connection& c) {
    if (fetched) return apply_in(c, *id, *type, *fetched, subject.reference_user);
    repository_.record_event(c, *id, *type, now);
    return Applied{};
  });
  // Now and then, forget events Stripe no longer retries.
  if (std::hash<std::string>{}(*id) % 64 == 0) {
    co_await db_.write([&](db::Connection& c) {
      repository_.prune_events(c, now - std::chrono::milliseconds(settings_.event_memory).count());
    });
  }
  logger_.info("Stripe event applied", {{"eventId", *id},
                                        {"type", *type},
                                        {"changed", applied.changed},
                                        {"known", applied.user_id.has_value()}});
}

BillingService::Applied BillingService::apply_in(db::Connection& c, const std::string& event_id,
                                                 const std::string& event_type,
                                                 const stripe::Subscription& fetched,
                                                 const std::optional<std::string>& reference_user) {
  Applied applied;
  auto now = clock_.now_ms();
  if (!repository_.record_event(c, event_id, event_type, now)) return applied;  // raced
  auto current = repository_.find_by_customer(c, fetched.customer);
  if (!current) {
    // The customer is ours but not remembered (the answer to its creation
    // was lost): the checkout's user, or the subscription's metadata,
    // names the user; adopt it only for a user without another customer.
    auto user = reference_user ? reference_user : fetched.user_id;
    if (user) {
      auto s = repository_.ensure(c, *user, plans_.free_plan().id, now, true);
      if (s && !s->customer_id &&
          repository_.set_customer(c, *user, fetched.customer, now) == fetched.customer)
        current = repository_.find(c, *user);
    }
  }
  if (!current) {
    logger_.warn("a Stripe event names a customer of no user",
                 {{"eventId", event_id}, {"customer", fetched.customer}});
    return applied;
  }
  applied.user_id = current->user_id;
  // Stripe never reopens a subscription that ended: a slower read of it
  // that commits after the ending one changes nothing.
  if (current->subscription_id == fetched.id &&
      (current->status == "canceled" || current->status == "incomplete_expired"))
    return applied;
  // A subscription that ended does not end another one that replaced it
  // (an old subscription's late event).
  if (!gives_plan(fetched.status) && current->subscription_id &&
      *current->subscription_id != fetched.id && gives_plan(current->status))
    return applied;

  StoredSubscription next = *current;
  next.subscription_id = fetched.id;
  next.status = fetched.status;
  next.cancel_at_period_end = fetched.cancel_at_period_end;
  if (gives_plan(fetched.status)) {
    const Plan* plan = fetched.price_id ? plans_.by_price(*fetched.price_id) : nullptr;
    if (!plan) {
      logger_.error("a Stripe subscription has a price no plan has; the plan is left as it was",
                    {{"subscription", fetched.id}, {"price", fetched.price_id.value_or("")}});
    } else {
      next.plan_id = plan->id;
    }
    next.period_start_ms =
        fetched.period_start_s ? std::optional(*fetched.period_start_s * 1000) : std::nullopt;
    next.period_end_ms =
        fetched.period_end_s ? std::optional(*fetched.period_end_s * 1000) : std::nullopt;
  } else if (fetched.status == "canceled" || fetched.status == "unpaid" ||
             fetched.status == "incomplete_expired" || fetched.status == "paused") {
    // The paid plan ends; the free plan's calendar months count again.
    next.plan_id = plans_.free_plan().id;
    next.period_start_ms = next.period_end_ms = std::nullopt;
  } else {
    // incomplete: the first payment is not through; nothing changes yet.
    next.status = current->status;
    next.subscription_id = current->subscription_id;
  }
  next.updated_at_ms = now;

  bool plan_changed = next.plan_id != current->plan_id;
  bool status_changed = next.status != current->status;
  applied.changed = plan_changed || status_changed ||
                    next.period_start_ms != current->period_start_ms ||
                    next.period_end_ms != current->period_end_ms ||
                    next.cancel_at_period_end != current->cancel_at_period_end ||
                    next.subscription_id != current->subscription_id;
  if (!applied.changed) return applied;
  repository_.update(c, next);

  const auto& plan = plans_.resolve(next.plan_id);
  if (status_changed && next.status == "past_due")
    notify_in(c, next.user_id, "billing.payment_failed", "Your payment did not go through",
              "Stripe could not collect the payment for your " + plan.name +
                  " plan. Update your payment method in the billing portal to keep it; Stripe "
                  "tries again in the meantime.");
  if (plan_changed) {
    if (plan.price_id)
      notify_in(c, next.user_id, "billing.plan_changed", "You are on the " + plan.name + " plan",
                "Your plan now gives you " + minutes_text(plan.monthly_minutes) +
                    " of processing a month.");
    else
      notify_in(c, next.user_id, "billing.plan_changed", "Your paid plan has ended",
                "You are on the " + plan.name + " plan again, with " +
                    minutes_text(plan.monthly_minutes) + " of processing a month.");
  }
  audit_.append_in(
      c, {.action = plan_changed ? "billing.plan_changed" : "billing.subscription_updated",
          .user_id = next.user_id,
          .detail = {{"from", current->plan_id},
                     {"to", next.plan_id},
                     {"status", next.status},
                     {"subscription", fetched.id},
                     {"event", event_id}}});
  return applied;
}

void BillingService::notify_in(db::Connection& c, const std::string& user_id, std::string type,
                               std::string title, std::string body) {
  outbox_.append_in(c, {"billing.notice",
                        user_id,
                        {{"userId", user_id},
                         {"type", std::move(type)},
                         {"title", std::move(title)},
                         {"body", std::move(body)}},
                        {}});
}

void BillingService::admit_upload_in(db::Connection& c, const std::string& user_id,
                                     const std::optional<std::string>& interview_id,
                                     std::optional<std::uint64_t> bytes) {
  auto now = clock_.now_ms();
  auto s = repository_.ensure(c, user_id, plans_.free_plan().id, now);
  if (!s) return;  // no such user: the caller answers that
  const auto& plan = plan_of(*s, now);
  if (bytes && *bytes > plan.max_upload_bytes)
    throw QuotaExceeded(fmt::format("The recording is larger than the {} plan allows ({} bytes).",
                                    plan.name, plan.max_upload_bytes),
                        static_cast<std::int64_t>(plan.max_upload_bytes),
                        static_cast<std::int64_t>(*bytes));
  auto used = used_in(c, *s, now);
  if (used >= plan.monthly_minutes)
    throw QuotaExceeded(fmt::format("The {} plan's {} of processing this period are used up.",
                                    plan.name, minutes_text(plan.monthly_minutes)),
                        plan.monthly_minutes, used);
  auto running = interviews_.in_processing_in(c, user_id, interview_id);
  if (running >= plan.concurrent_jobs)
    throw QuotaExceeded(
        fmt::format("{} recordings are waiting or being processed; the {} plan allows {} at once.",
                    running, plan.name, plan.concurrent_jobs),
        plan.concurrent_jobs, running);
}

void BillingService::admit_size_in(db::Connection& c, const std::string& user_id,
                                   std::uint64_t bytes) {
  auto s = repository_.find(c, user_id);
  const auto& plan = s ? plan_of(*s, clock_.now_ms()) : plans_.free_plan();
  if (bytes > plan.max_upload_bytes)
    throw QuotaExceeded(fmt::format("The recording is larger than the {} plan allows ({} bytes).",
                                    plan.name, plan.max_upload_bytes),
                        static_cast<std::int64_t>(plan.max_upload_bytes),
                        static_cast<std::int64_t>(bytes));
}

void BillingService::reserve_in(db::Connection& c, const std::string& job_id,
                                const std::string& user_id, const std::string& interview_id,
                                std::int64_t duration_ms) {
  if (repository_.entry(c, job_id)) return;  // this job reserved already (a redelivery)
  auto now = clock_.now_ms();
  // Locked: two transcriptions of one user cannot both take the last minutes.
  auto s = repository_.ensure(c, user_id, plans_.free_plan().id, now, true);
  if (!s) return;
  const auto& plan = plan_of(*s, now);
  auto minutes = minutes_of(duration_ms);
  if (plan.max_recording_minutes && minutes > *plan.max_recording_minutes)
    throw QuotaExceeded(
        fmt::format("The recording is {} long; the {} plan processes at most {}.",
                    minutes_text(minutes), plan.name, minutes_text(*plan.max_recording_minutes)),
        *plan.max_recording_minutes, minutes);
  auto used = used_in(c, *s, now);
  if (used + minutes > plan.monthly_minutes)
    throw QuotaExceeded(
        fmt::format("The recording is {} long, and {} of the {} plan's {} are left this period.",
                    minutes_text(minutes),
                    minutes_text(std::max<std::int64_t>(0, plan.monthly_minutes - used)), plan.name,
                    minutes_text(plan.monthly_minutes)),
        plan.monthly_minutes, used);
  repository_.reserve(c, {job_id, user_id, interview_id, minutes, "reserved"}, now);
  auto after = used + minutes;
  // Told once a period at each level: when a reservation reaches 80 % of
  // the limit, and when it reaches the limit.
  int level = after >= plan.monthly_minutes ? 100 : after * 5 >= plan.monthly_minutes * 4 ? 80 : 0;
  auto period = period_of(*s, now).start_ms;
  bool told = s->notice_period_ms == period && s->notice_level >= level;
  if (level > 0 && !told) {
    repository_.noticed(c, user_id, period, level);
    if (level == 100)
      notify_in(c, user_id, "billing.usage_limit", "You have used all your processing minutes",
                "The " + plan.name + " plan's " + minutes_text(plan.monthly_minutes) +
                    " for this period are used up; new recordings wait for the next period or a "
                    "bigger plan.");
    else
      notify_in(c, user_id, "billing.usage_limit", "80% of your processing minutes are used",
                minutes_text(plan.monthly_minutes - after) + " of the " + plan.name + " plan's " +
                    minutes_text(plan.monthly_minutes) + " are left this period.");
  }
  audit_.append_in(
      c, {.action = "billing.usage_reserved",
          .user_id = user_id,
          .detail = {{"interviewId", interview_id}, {"job", job_id}, {"minutes", minutes}}});
}

void BillingService::settle_in(db::Connection& c, const std::string& job_id,
                               const std::string& state) {
  auto e = repository_.entry(c, job_id);
  if (!e || e->state != "reserved") return;
  if (!repository_.settle(c, job_id, state, clock_.now_ms())) return;
  audit_.append_in(
      c, {.action = "billing.usage_" + state,
          .user_id = e->user_id,
          .detail = {{"interviewId", e->interview_id}, {"job", job_id}, {"minutes", e->minutes}}});
}

void BillingService::commit_in(db::Connection& c, const std::string& job_id) {
  settle_in(c, job_id, "committed");
}

void BillingService::release_in(db::Connection& c, const std::string& job_id) {
  settle_in(c, job_id, "released");
}

void BillingService::release_interview_in(db::Connection& c, const std::string& interview_id) {
  for (const auto& e : repository_.open_for_interview(c, interview_id))
    settle_in(c, e.job_id, "released");
}

}  // namespace companion::billing
