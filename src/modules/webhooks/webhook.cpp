#include "modules/webhooks/webhook.hpp"

#include <boost/json.hpp>

#include "infra/clock/rfc3339.hpp"
#include "infra/crypto/digest.hpp"
#include "infra/crypto/encoding.hpp"

namespace companion::webhooks {
namespace {
constexpr std::string_view kSecretPrefix = "whsec_";
}

boost::json::object to_json(const Webhook& w) {
  boost::json::array events;
  for (const auto& e : w.events) events.push_back(boost::json::value(e));
  boost::json::object o{{"id", w.id},
                        {"url", w.url},
                        {"events", std::move(events)},
                        {"description", w.description},
                        {"createdAt", format_rfc3339(w.created_at_ms)}};
  if (w.disabled_at_ms)
    o["disabledAt"] = format_rfc3339(*w.disabled_at_ms);
  else
    o["disabledAt"] = nullptr;
  return o;
}

boost::json::object to_json(const Delivery& d) {
  auto time_or_null = [](const std::optional<std::int64_t>& ms) -> boost::json::value {
    if (!ms) return nullptr;
    return boost::json::value(format_rfc3339(*ms));
  };
  boost::json::object o{{"id", d.id},
                        {"type", d.type},
                        {"status", d.status},
                        {"attempts", d.attempts},
                        {"createdAt", format_rfc3339(d.created_at_ms)},
                        {"lastAttemptAt", time_or_null(d.last_attempt_at_ms)}};
  if (d.response_status)
    o["responseStatus"] = *d.response_status;
  else
    o["responseStatus"] = nullptr;
  o["nextAttemptAt"] = d.status == "pending" ? time_or_null(d.next_attempt_at_ms) : nullptr;
  if (d.last_error)
    o["error"] = *d.last_error;
  else
    o["error"] = nullptr;
  return o;
}

std::string new_secret() {
  return std::string(kSecretPrefix) + crypto::base64_encode(crypto::random_bytes(24));
}

std::string sign(const std::string& secret, const std::string& id, std::int64_t timestamp_s,
                 const std::string& body) {
  if (secret.rfind(kSecretPrefix, 0) != 0) return {};
  auto key = crypto::base64_decode(std::string_view(secret).substr(kSecretPrefix.size()));
  if (!key) return {};
  auto content = id + "." + std::to_string(timestamp_s) + "." + body;
  return "v1," + crypto::base64_encode(crypto::hmac_sha256(*key, content));
}

}  // namespace companion::webhooks
