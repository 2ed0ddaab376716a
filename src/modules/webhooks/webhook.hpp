#pragma once
// A user's webhook endpoint and the messages delivered to it.
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace companion::webhooks {

struct Webhook {
  std::string id;
  std::string user_id;
  std::string url;
  std::vector<std::string> events;  // event types
  std::string description;
  std::optional<std::int64_t> disabled_at_ms;
  std::int64_t created_at_ms = 0;
  int consecutive_failures = 0;
};

struct Delivery {
  std::string webhook_id;
  std::string id;  // the message id (webhook-id)
  std::string user_id;
  std::string type;
  std::string body;    // the JSON sent
  std::string status;  // pending, succeeded, failed
  int attempts = 0;
  std::optional<std::int64_t> response_status;
  std::optional<std::string> last_error;
  std::int64_t next_attempt_at_ms = 0;
  std::optional<std::int64_t> last_attempt_at_ms;
  std::int64_t created_at_ms = 0;
};

boost::json::object to_json(const Webhook& w);
boost::json::object to_json(const Delivery& d);

// A new signing secret: "whsec_" + base64 of 24 random bytes.
std::string new_secret();
// The Standard Webhooks signature header value, "v1,<base64 HMAC-SHA256>"
// over "<id>.<timestamp>.<body>" with the secret's bytes (after
// "whsec_"); empty for a malformed secret.
std::string sign(const std::string& secret, const std::string& id, std::int64_t timestamp_s,
                 const std::string& body);

}  // namespace companion::webhooks
