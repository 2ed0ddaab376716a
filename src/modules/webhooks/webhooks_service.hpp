#pragma once
// Webhooks: endpoints a user registers to be told of their events in their
// own systems. Each stored event (realtime) queues a delivery to every
// enabled endpoint that wants its type, in the event's transaction; the
// dispatcher sends them signed per the Standard Webhooks spec, retries a
// failure with exponential backoff for the retry window, disables an
// endpoint after repeated failures (and tells the user), and keeps a
// delivery log that can be redelivered by hand. Every destination passes
// the address guard (no internal addresses, no redirects).
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/http_client/address_guard.hpp"
#include "infra/http_client/http_client.hpp"
#include "infra/log/logger.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/notifications/notifications_service.hpp"
#include "modules/realtime/event.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/webhooks/webhooks_repository.hpp"

namespace companion::webhooks {

struct WebhookSettings {
  std::chrono::milliseconds timeout{10'000};    // one attempt, connecting included
  std::chrono::milliseconds retry_base{5'000};  // the first retry's delay; doubles
  std::chrono::milliseconds retry_max = std::chrono::hours(2);
  std::chrono::milliseconds retry_window = std::chrono::hours(24);
  int max_failures = 15;        // consecutive failed attempts, then disabled
  std::size_t concurrency = 8;  // attempts in flight per process
  std::size_t max_per_user = 20;
  std::size_t response_limit = 64 * 1024;  // of an answer's body, read at most
};

struct NewWebhook {
  std::string url;
  std::vector<std::string> events;
  std::string description;
};

struct WebhookPatch {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<std::string> description;
  std::optional<bool> disabled;  // false: enable again (failures forgotten)
};

struct Created {
  Webhook webhook;
  std::string secret;  // shown once
};

class WebhooksService {
 public:
  WebhooksService(WebhookSettings settings, db::Database& db, const Clock& clock,
                  crypto::UuidV7Generator& ids, users::DataKeys& keys, audit::AuditLog& audit,
                  notifications::NotificationsService& notifications,
                  http_client::HttpClient& client, const http_client::AddressGuard& guard,
                  async::BlockingPool& pool, log::Logger& logger);

  // A ValidationError names a bad URL (not http(s), or an address the
  // guard refuses), unknown event types, or a description too long.
  // The new signing secret is recorded in the audit trail (`ip`: the client's).
  boost::asio::awaitable<Created> create(std::string user_id, NewWebhook input,
                                         std::optional<std::string> ip = {});
  boost::asio::awaitable<std::vector<Webhook>> list(std::string user_id,
                                                    std::optional<std::string> after, int limit);
  boost::asio::awaitable<Webhook> get(std::string user_id, std::string id);
  boost::asio::awaitable<Webhook> update(std::string user_id, std::string id, WebhookPatch patch);
  boost::asio::awaitable<void> remove(std::string user_id, std::string id);
  boost::asio::awaitable<std::vector<Delivery>> deliveries(std::string user_id,
                                                           std::string webhook_id,
                                                           std::optional<std::string> after,
                                                           int limit);
  // 409 while the endpoint is disabled.
  boost::asio::awaitable<Delivery> redeliver(std::string user_id, std::string webhook_id,
                                             std::string delivery_id);

  // In a stored event's transaction (realtime's append hook).
  void enqueue_in(db::Connection& c, const realtime::Event& event);
  // Takes the deliveries now due (as many as there is room for) and starts
  // them on `executor`; returns how many started.
  boost::asio::awaitable<std::size_t> dispatch_due();
  std::size_t in_flight() const { return in_flight_.load(); }

 private:
  boost::asio::awaitable<void> attempt(Due due);
  // Checks URL and event types (blocking: the URL's host is resolved).
  boost::asio::awaitable<void> validate(const std::optional<std::string>& url,
                                        const std::optional<std::vector<std::string>>& events,
                                        const std::optional<std::string>& description);
  std::optional<std::int64_t> next_attempt(const Delivery& d, std::int64_t now_ms) const;

  WebhookSettings settings_;
  db::Database& db_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  users::DataKeys& keys_;
  audit::AuditLog& audit_;
  notifications::NotificationsService& notifications_;
  http_client::HttpClient& client_;
  const http_client::AddressGuard& guard_;
  async::BlockingPool& pool_;
  log::Logger& logger_;
  WebhooksRepository repository_;
  std::atomic<std::size_t> in_flight_{0};
};

}  // namespace companion::webhooks
