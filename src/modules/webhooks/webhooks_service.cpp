#include "modules/webhooks/webhooks_service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <random>

#include "infra/clock/rfc3339.hpp"
#include "infra/crypto/chunked_cipher.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/errors/errors.hpp"

namespace companion::webhooks {
namespace {

constexpr const char* kNotFound = "No webhook with this id exists.";
constexpr std::size_t kMaxUrl = 2048;
constexpr std::size_t kMaxDescription = 500;
// Taken deliveries stay invisible to other processes this long.
constexpr std::int64_t kLeaseMs = 120'000;

std::string secret_context(const std::string& webhook_id) {
  return "webhook-secret:" + webhook_id;
}

// Event types an endpoint may want: the stored ones (progress ticks are
// never delivered).
bool deliverable(std::string_view type) {
  return realtime::is_event_type(type) && type != realtime::kInterviewProgress;
}

}  // namespace

WebhooksService::WebhooksService(WebhookSettings settings, db::Database& db, const Clock& clock,
                                 crypto::UuidV7Generator& ids, users::DataKeys& keys,
                                 audit::AuditLog& audit,
                                 notifications::NotificationsService& notifications,
                                 http_client::HttpClient& client,
                                 const http_client::AddressGuard& guard, async::BlockingPool& pool,
                                 log::Logger& logger)
    : settings_(settings),
      db_(db),
      clock_(clock),
      ids_(ids),
      keys_(keys),
      audit_(audit),
      notifications_(notifications),
      client_(client),
      guard_(guard),
      pool_(pool),
      logger_(logger),
      repository_(keys) {}

boost::asio::awaitable<void> WebhooksService::validate(
    const std::optional<std::string>& url, const std::optional<std::vector<std::string>>& events,
    const std::optional<std::string>& description) {
  std::vector<FieldError> errors;
  if (events) {
    if (events->empty()) errors.push_back({"events", "must name at least one event type"});
    for (std::size_t i = 0; i < events->size(); ++i)
      if (!deliverable((*events)[i]))
        errors.push_back(
            {"events[" + std::to_string(i) + "]", "is not an event type a webhook can receive"});
  }
  if (description && description->size() > kMaxDescription)
    errors.push_back({"description", "must be at most 500 bytes"});
  if (url) {
    if (url->size() > kMaxUrl) {
      errors.push_back({"url", "must be at most 2048 characters"});
    } else {
      auto refusal = co_await pool_.run([&]() -> std::string {
        try {
          guard_.check(*url);
          return {};
        } catch (const http_client::AddressRefused& e) {
          return e.what();
        }
      });
      if (!refusal.empty()) errors.push_back({"url", refusal});
    }
  }
  if (!errors.empty()) throw ValidationError(std::move(errors));
}

boost::asio::awaitable<Created> WebhooksService::create(std::string user_id, NewWebhook input,
                                                        std::optional<std::string> ip) {
  // Each type once, in the order given.
  std::vector<std::string> events;
  for (auto& e : input.events)
    if (std::find(events.begin(), events.end(), e) == events.end()) events.push_back(e);
  const std::optional<std::string> url = input.url;
  const std::optional<std::vector<std::string>> wanted = events;
  const std::optional<std::string> description = input.description;
  co_await validate(url, wanted, description);
  Webhook w{.id = ids_.next(),
            .user_id = user_id,
            .url = input.url,
            .events = std::move(events),
            .description = input.description,
            .created_at_ms = clock_.now_ms()};
  auto secret = new_secret();
  co_await db_.write([&](db::Connection& c) {
    if (repository_.count(c, user_id) >= static_cast<std::int64_t>(settings_.max_per_user))
      throw Conflict("An account has at most " + std::to_string(settings_.max_per_user) +
                     " webhooks; delete one first.");
    auto key = keys_.key_for_in(c, user_id);
    auto sealed = crypto::base64url_encode(crypto::seal_box(key, secret_context(w.id), secret));
    repository_.insert(c, w, sealed, w.created_at_ms);
    audit_.append_in(c, {"webhook.secret_created", user_id, ip, {{"webhookId", w.id}}});
  });
  logger_.info("webhook created", {{"userId", user_id}, {"webhookId", w.id}});
  co_return Created{std::move(w), std::move(secret)};
}

boost::asio::awaitable<std::vector<Webhook>> WebhooksService::list(std::string user_id,
                                                                   std::optional<std::string> after,
                                                                   int limit) {
  co_return co_await db_.read(
      [&](db::Connection& c) { return repository_.list(c, user_id, after, limit); });
}

boost::asio::awaitable<Webhook> WebhooksService::get(std::string user_id, std::string id) {
  auto w = co_await db_.read([&](db::Connection& c) { return repository_.find(c, user_id, id); });
  if (!w) throw NotFound(kNotFound);
  co_return *w;
}

boost::asio::awaitable<Webhook> WebhooksService::update(std::string user_id, std::string id,
                                                        WebhookPatch patch) {
  co_await validate(patch.url, patch.events, patch.description);
  auto now = clock_.now_ms();
  auto w = co_await db_.write([&](db::Connection& c) -> std::optional<Webhook> {
    auto w = repository_.find(c, user_id, id);
    if (!w) return std::nullopt;
    if (patch.url) w->url = *patch.url;
    if (patch.events) w->events = *patch.events;
    if (patch.description) w->description = *patch.description;
    if (patch.disabled) {
      if (*patch.disabled && !w->disabled_at_ms) w->disabled_at_ms = now;
      if (!*patch.disabled) {
        w->disabled_at_ms.reset();
        w->consecutive_failures = 0;
      }
    }
    repository_.update(c, *w, now);
    return w;
  });
  if (!w) throw NotFound(kNotFound);
  co_return *w;
}

boost::asio::awaitable<void> WebhooksService::remove(std::string user_id, std::string id) {
  bool removed =
      co_await db_.write([&](db::Connection& c) { return repository_.remove(c, user_id, id); });
  if (!removed) throw NotFound(kNotFound);
}

boost::asio::awaitable<std::vector<Delivery>> WebhooksService::deliveries(
    std::string user_id, std::string webhook_id, std::optional<std::string> after, int limit) {
  auto page = co_await db_.read([&](db::Connection& c) -> std::optional<std::vector<Delivery>> {
    if (!repository_.find(c, user_id, webhook_id)) return std::nullopt;
    return repository_.deliveries(c, webhook_id, after, limit);
  });
  if (!page) throw NotFound(kNotFound);
  co_return std::move(*page);
}

boost::asio::awaitable<Delivery> WebhooksService::redeliver(std::string user_id,
                                                            std::string webhook_id,
                                                            std::string delivery_id) {
  auto now = clock_.now_ms();
  auto d = co_await db_.write([&](db::Connection& c) -> std::optional<Delivery> {
    auto w = repository_.find(c, user_id, webhook_id);
    if (!w) throw NotFound(kNotFound);
    if (w->disabled_at_ms)
      throw Conflict("The webhook is disabled; enable it (PATCH disabled: false) first.");
    return repository_.redeliver(c, webhook_id, delivery_id, now);
  });
  if (!d) throw NotFound("No delivery with this id exists.");
  co_return *d;
}

void WebhooksService::enqueue_in(db::Connection& c, const realtime::Event& event) {
  if (!deliverable(event.type)) return;
  auto data = event.data;
  if (event.interview_id) data["interviewId"] = *event.interview_id;
  boost::json::object body{
      {"type", event.type}, {"timestamp", format_rfc3339(event.at_ms)}, {"data", std::move(data)}};
  repository_.enqueue(c, ids_.next(), event.user_id, event.type, boost::json::serialize(body),
                      event.at_ms);
}

std::optional<std::int64_t> WebhooksService::next_attempt(const Delivery& d,
                                                          std::int64_t now_ms) const {
  // Before retry n (after n failed attempts): base * 2^(n-1), at most
  // retry_max, with a fifth of jitter either way.
  const int n = d.attempts + 1;
  double delay = static_cast<double>(settings_.retry_base.count());
  for (int i = 1; i < n && delay < settings_.retry_max.count(); ++i) delay *= 2;
  delay = std::min(delay, static_cast<double>(settings_.retry_max.count()));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  delay *= std::uniform_real_distribution<double>(0.8, 1.2)(rng);
  auto when = now_ms + static_cast<std::int64_t>(delay);
  if (when > d.created_at_ms + settings_.retry_window.count()) return std::nullopt;
  return when;
}

boost::asio::awaitable<std::size_t> WebhooksService::dispatch_due() {
  const auto busy = in_flight_.load();
  if (busy >= settings_.concurrency) co_return 0;
  const auto now = clock_.now_ms();
  auto due = co_await db_.write([&](db::Connection& c) {
    return repository_.claim(c, now, now + kLeaseMs,
                             static_cast<int>(settings_.concurrency - busy));
  });
  auto executor = co_await boost::asio::this_coro::executor;
  for (auto& d : due) {
    ++in_flight_;
    boost::asio::co_spawn(executor, attempt(std::move(d)), [this](std::exception_ptr e) {
      --in_flight_;
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& error) {
        logger_.warn("webhook delivery failed to run", {{"error", error.what()}});
      }
    });
  }
  co_return due.size();
}

boost::asio::awaitable<void> WebhooksService::attempt(Due due) {
  const auto& d = due.delivery;
  auto key = co_await keys_.key_for(d.user_id);
  auto sealed = crypto::base64url_decode(due.sealed_secret);
  auto secret =
      sealed ? crypto::open_box(key, secret_context(d.webhook_id), *sealed) : std::nullopt;
  struct Outcome {
    bool ok = false;
    std::optional<long> status;
    std::string error;
  };
  auto outcome = co_await pool_.run([&]() -> Outcome {
    if (!secret) return {false, std::nullopt, "the signing secret cannot be read"};
    std::string pin;
    try {
      pin = guard_.check(due.url);
    } catch (const http_client::AddressRefused& e) {
      return {false, std::nullopt, std::string("refused: ") + e.what()};
    }
    const auto timestamp = clock_.now_ms() / 1000;
    http_client::Request r;
    r.method = http_client::Method::kPost;
    r.url = due.url;
    r.headers = {"Content-Type: application/json",
                 "User-Agent: interview-companion-webhooks/" COMPANION_VERSION,
                 "webhook-id: " + d.id, "webhook-timestamp: " + std::to_string(timestamp),
                 "webhook-signature: " + sign(*secret, d.id, timestamp, d.body)};
    r.body = std::string_view(d.body);
    r.deadline.connect = std::min(settings_.timeout, std::chrono::milliseconds(5000));
    r.deadline.total = settings_.timeout;
    r.max_attempts = 1;  // the schedule here retries, not the client
    r.resolve = {pin};
    r.body_limit = settings_.response_limit;
    auto res = client_.perform(r);
    // An answer longer than we read still carries its status.
    const bool answered = res.ok() || res.failure == http_client::Failure::kTooLarge;
    if (answered && res.status >= 200 && res.status < 300) return {true, res.status, {}};
    if (answered) return {false, res.status, "the endpoint answered " + std::to_string(res.status)};
    return {false, std::nullopt,
            res.error.empty() ? "the endpoint could not be reached" : res.error};
  });

  const auto now = clock_.now_ms();
  std::string source;
  co_await db_.write([&](db::Connection& c) {
    if (outcome.ok) {
      repository_.succeeded(c, d, *outcome.status, now);
      return;
    }
    auto failures =
        repository_.failed(c, d, outcome.status, outcome.error, next_attempt(d, now), now);
    if (failures < settings_.max_failures || !repository_.disable(c, d.webhook_id, now)) return;
    source = "webhook.disabled:" + d.webhook_id + ":" + std::to_string(now);
    notifications::Notification n{
        .user_id = d.user_id,
        .type = "webhook.disabled",
        .title = "A webhook was turned off after repeated failures",
        .body = "Deliveries to " + due.url + " failed " + std::to_string(failures) +
                " times in a row (last: " + outcome.error +
                "). Fix the endpoint, then enable the webhook again; failed deliveries can be "
                "redelivered from its log."};
    notifications_.notify_in(c, n, source);
  });
  if (outcome.ok) {
    logger_.debug("webhook delivered", {{"webhookId", d.webhook_id}, {"deliveryId", d.id}});
  } else {
    logger_.info("webhook delivery failed", {{"webhookId", d.webhook_id},
                                             {"deliveryId", d.id},
                                             {"attempt", d.attempts + 1},
                                             {"error", outcome.error}});
  }
  if (!source.empty()) {
    logger_.warn("webhook disabled after repeated failures", {{"webhookId", d.webhook_id}});
    try {
      co_await notifications_.deliver_email(source);
    } catch (const std::exception& e) {
      logger_.warn("the webhook.disabled e-mail could not be sent", {{"error", e.what()}});
    }
  }
}

}  // namespace companion::webhooks
