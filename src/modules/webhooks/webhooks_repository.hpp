#pragma once
// The webhooks module's tables: endpoints and their deliveries. Named SQL,
// both dialects.
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/webhooks/webhook.hpp"

namespace companion::webhooks {

// A delivery ready to be sent, with where to and the sealed secret.
struct Due {
  Delivery delivery;
  std::string url;
  std::string sealed_secret;
};

// A delivery's body (an event, which may name the interview) is stored
// sealed with the user's data key (users/field_seal.hpp).
class WebhooksRepository {
 public:
  explicit WebhooksRepository(users::DataKeys& keys) : keys_(keys) {}

  void insert(db::Connection& c, const Webhook& w, const std::string& sealed_secret,
              std::int64_t now_ms);
  std::optional<Webhook> find(db::Connection& c, const std::string& user_id, const std::string& id);
  // Newest first, strictly after the cursor (an id).
  std::vector<Webhook> list(db::Connection& c, const std::string& user_id,
                            const std::optional<std::string>& after, int limit);
  std::int64_t count(db::Connection& c, const std::string& user_id);
  void update(db::Connection& c, const Webhook& w, std::int64_t now_ms);
  bool remove(db::Connection& c, const std::string& user_id, const std::string& id);

  // A delivery of `body` to each of the user's enabled endpoints that want
  // `type` (in the caller's transaction; nothing for an account being
  // erased).
  void enqueue(db::Connection& c, const std::string& message_id, const std::string& user_id,
               const std::string& type, const std::string& body, std::int64_t now_ms);
  // Takes up to `limit` due deliveries: each is pushed `lease` ahead, so no
  // other process takes it while it is being sent.
  std::vector<Due> claim(db::Connection& c, std::int64_t now_ms, std::int64_t lease_until_ms,
                         int limit);
  void succeeded(db::Connection& c, const Delivery& d, long status, std::int64_t now_ms);
  // Returns the endpoint's consecutive failures now.
  int failed(db::Connection& c, const Delivery& d, std::optional<long> status,
             const std::string& error, std::optional<std::int64_t> next_attempt_ms,
             std::int64_t now_ms);
  // True when this call disabled it (it was enabled); its pending
  // deliveries fail.
  bool disable(db::Connection& c, const std::string& webhook_id, std::int64_t now_ms);

  std::vector<Delivery> deliveries(db::Connection& c, const std::string& webhook_id,
                                   const std::optional<std::string>& after, int limit);
  // Queues it again, now; nullopt for an unknown one.
  std::optional<Delivery> redeliver(db::Connection& c, const std::string& webhook_id,
                                    const std::string& id, std::int64_t now_ms);

 private:
  users::DataKeys& keys_;
};

}  // namespace companion::webhooks
