#include "infra/stripe/stripe_client.hpp"

#include <boost/json.hpp>

namespace companion::stripe {
namespace {

namespace json = boost::json;

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

void append_encoded(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

std::optional<std::string> string_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().get_string());
}

std::optional<std::int64_t> int_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().get_uint64());
  return std::nullopt;
}

const json::object* object_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

// Stripe expands some fields to objects or leaves them as ids.
std::optional<std::string> id_at(const json::object& o, std::string_view key) {
  if (auto s = string_at(o, key)) return s;
  if (auto nested = object_at(o, key)) return string_at(*nested, "id");
  return std::nullopt;
}

StripeError malformed(const std::string& what) {
  return StripeError(StripeError::Kind::kMalformed, 200, "Stripe answered without " + what);
}

}  // namespace

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    append_encoded(out, k);
    out += '=';
    append_encoded(out, v);
  }
  return out;
}

Subscription parse_subscription(std::string_view text) {
  json::value doc;
  boost::system::error_code ec;
  doc = json::parse(text, ec);
  if (ec || !doc.is_object()) throw malformed("a JSON object");
  const auto& o = doc.get_object();
  if (string_at(o, "object").value_or("subscription") != "subscription")
    throw malformed("a subscription");
  Subscription s;
  auto id = string_at(o, "id");
  auto customer = id_at(o, "customer");
  auto status = string_at(o, "status");
  if (!id || !customer || !status || id->empty() || customer->empty() || status->empty())
    throw malformed("a subscription's id, customer and status");
  s.id = *id;
  s.customer = *customer;
  s.status = *status;
  if (auto it = o.find("cancel_at_period_end"); it != o.end() && it->value().is_bool())
    s.cancel_at_period_end = it->value().get_bool();
  s.period_start_s = int_at(o, "current_period_start");
  s.period_end_s = int_at(o, "current_period_end");
  if (auto items = object_at(o, "items")) {
    auto data = items->find("data");
    if (data != items->end() && data->value().is_array() && !data->value().get_array().empty() &&
        data->value().get_array()[0].is_object()) {
      const auto& item = data->value().get_array()[0].get_object();
      if (auto price = object_at(item, "price")) s.price_id = string_at(*price, "id");
      if (s.price_id && s.price_id->empty()) s.price_id.reset();
      if (!s.period_start_s) s.period_start_s = int_at(item, "current_period_start");
      if (!s.period_end_s) s.period_end_s = int_at(item, "current_period_end");
    }
  }
  if (auto metadata = object_at(o, "metadata")) s.user_id = string_at(*metadata, "userId");
  return s;
}

StripeClient::StripeClient(StripeSettings settings, http_client::HttpClient& client)
    : settings_(std::move(settings)), client_(client) {
  while (!settings_.api_base.empty() && settings_.api_base.back() == '/')
    settings_.api_base.pop_back();
}

std::string StripeClient::call(http_client::Method method, const std::string& path,
                               const std::string& form, const std::string& idempotency_key) {
  http_client::Request req;
  req.method = method;
  req.url = settings_.api_base + path;
  req.headers = {"Authorization: Bearer " + settings_.secret_key,
                 "Stripe-Version: " + settings_.api_version, "Accept: application/json"};
  if (method == http_client::Method::kPost) {
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    req.headers.push_back("Idempotency-Key: " + idempotency_key);
    req.body = std::string_view(form);
  }
  req.deadline.total = settings_.timeout;
  req.body_limit = 256 * 1024;
  auto res = client_.perform(req);
  if (!res.ok())
    throw StripeError(StripeError::Kind::kUnavailable, 0,
                      "Stripe could not be reached: " + res.error);
  if (res.status >= 200 && res.status < 300) return std::move(res.body);
  // {"error": {"type", "code", "message"}}: the message is Stripe's words
  // for the operator's log.
  std::string message = "Stripe answered " + std::to_string(res.status);
  boost::system::error_code ec;
  auto doc = json::parse(res.body, ec);
  if (!ec && doc.is_object())
    if (auto error = object_at(doc.get_object(), "error"))
      if (auto m = string_at(*error, "message")) message += ": " + *m;
  auto kind = res.status == 404                           ? StripeError::Kind::kNotFound
              : http_client::retryable_status(res.status) ? StripeError::Kind::kUnavailable
                                                          : StripeError::Kind::kRejected;
  throw StripeError(kind, res.status, message);
}

std::string StripeClient::create_customer(const std::string& user_id,
                                          const std::string& idempotency_key) {
  auto body = call(http_client::Method::kPost, "/v1/customers",
                   form_encode({{"metadata[userId]", user_id}}), idempotency_key);
  boost::system::error_code ec;
  auto doc = json::parse(body, ec);
  if (ec || !doc.is_object()) throw malformed("a customer");
  auto id = string_at(doc.get_object(), "id");
  if (!id) throw malformed("a customer id");
  return *id;
}

CheckoutSession StripeClient::create_checkout_session(const CheckoutRequest& r) {
  auto body = call(http_client::Method::kPost, "/v1/checkout/sessions",
                   form_encode({{"mode", "subscription"},
                                {"customer", r.customer},
                                {"client_reference_id", r.user_id},
                                {"line_items[0][price]", r.price_id},
                                {"line_items[0][quantity]", "1"},
                                {"success_url", r.success_url},
                                {"cancel_url", r.cancel_url},
                                {"metadata[userId]", r.user_id},
                                {"metadata[plan]", r.plan_id},
                                {"subscription_data[metadata][userId]", r.user_id},
                                {"subscription_data[metadata][plan]", r.plan_id}}),
                   r.idempotency_key);
  boost::system::error_code ec;
  auto doc = json::parse(body, ec);
  if (ec || !doc.is_object()) throw malformed("a Checkout Session");
  auto id = string_at(doc.get_object(), "id");
  auto url = string_at(doc.get_object(), "url");
  if (!id || !url) throw malformed("a Checkout Session's id and url");
  return {*id, *url};
}

std::string StripeClient::create_portal_session(const std::string& customer,
                                                const std::string& return_url,
                                                const std::string& idempotency_key) {
  auto body =
      call(http_client::Method::kPost, "/v1/billing_portal/sessions",
           form_encode({{"customer", customer}, {"return_url", return_url}}), idempotency_key);
  boost::system::error_code ec;
  auto doc = json::parse(body, ec);
  if (ec || !doc.is_object()) throw malformed("a portal session");
  auto url = string_at(doc.get_object(), "url");
  if (!url) throw malformed("a portal session's url");
  return *url;
}

bool StripeClient::delete_customer(const std::string& id) {
  std::string path = "/v1/customers/";
  append_encoded(path, id);
  try {
    call(http_client::Method::kDelete, path, {}, {});
  } catch (const StripeError& e) {
    if (e.kind() == StripeError::Kind::kNotFound) return false;
    throw;
  }
  return true;
}

Subscription StripeClient::subscription(const std::string& id) {
  std::string path = "/v1/subscriptions/";
  append_encoded(path, id);
  return parse_subscription(call(http_client::Method::kGet, path, {}, {}));
}

}  // namespace companion::stripe
