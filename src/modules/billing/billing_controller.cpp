#include "modules/billing/billing_controller.hpp"

#include <boost/json.hpp>

#include "infra/errors/errors.hpp"

namespace companion::billing {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

// The named string fields of a JSON object body, all required; any other
// field is refused.
std::vector<std::string> string_fields(const boost::json::value& body,
                                       std::initializer_list<const char*> names) {
  if (!body.is_object()) throw ValidationError("body", "must be a JSON object");
  std::vector<std::string> values(names.size());
  std::vector<bool> seen(names.size());
  std::vector<FieldError> errors;
  for (const auto& [key, v] : body.get_object()) {
    auto it = std::find(names.begin(), names.end(), std::string_view(key));
    if (it == names.end()) {
      errors.push_back({std::string(key), "is not a known field"});
      continue;
    }
    auto i = static_cast<std::size_t>(it - names.begin());
    seen[i] = true;
    if (v.is_string())
      values[i] = std::string(v.get_string());
    else
      errors.push_back({std::string(key), "must be a string"});
  }
  std::size_t i = 0;
  for (const char* name : names)
    if (!seen[i++]) errors.push_back({name, "is required"});
  if (!errors.empty()) throw ValidationError(std::move(errors));
  return values;
}

}  // namespace

void add_routes(http::Router& router, BillingService& service) {
  router.add(http::Verb::get, "/v1/billing/plans", {.auth = false, .summary = "List the plans"},
             [&service](Request&) -> awaitable<Response> {
               boost::json::array items;
               for (const auto& p : service.plans().all()) items.push_back(to_json(p));
               co_return http::json_response(http::Status::ok, {{"items", std::move(items)}});
             });

  router.add(http::Verb::get, "/v1/billing/subscription",
             {.summary = "Read the caller's plan, subscription status and usage"},
             [&service](Request& req) -> awaitable<Response> {
               auto view = co_await service.subscription(req.user().user_id);
               auto res = http::json_response(http::Status::ok, to_json(view));
               res.set(http::bhttp::field::cache_control, "no-store");
               co_return res;
             });

  router.add(http::Verb::post, "/v1/billing/checkout",
             {.json_body = true, .idempotent = true, .summary = "Start a Stripe Checkout"},
             [&service](Request& req) -> awaitable<Response> {
               auto f = string_fields(req.json, {"plan", "successUrl", "cancelUrl"});
               CheckoutInput input{.plan = f[0], .success_url = f[1], .cancel_url = f[2]};
               auto session =
                   co_await service.checkout(req.user().user_id, std::move(input), req.client_ip);
               auto res = http::json_response(http::Status::created,
                                              {{"url", session.url}, {"sessionId", session.id}});
               res.set(http::bhttp::field::cache_control, "no-store");
               co_return res;
             });

  router.add(http::Verb::post, "/v1/billing/portal",
             {.json_body = true, .idempotent = true, .summary = "Open the Stripe Customer Portal"},
             [&service](Request& req) -> awaitable<Response> {
               auto f = string_fields(req.json, {"returnUrl"});
               auto url = co_await service.portal(req.user().user_id, f[0], req.client_ip);
               auto res = http::json_response(http::Status::created, {{"url", url}});
               res.set(http::bhttp::field::cache_control, "no-store");
               co_return res;
             });

  // Stripe's deliveries: no bearer; the signature over the raw body is the
  // authentication. Events reach 1 MiB at most in practice.
  router.add(http::Verb::post, "/v1/billing/webhooks/stripe",
             {.auth = false,
              .body_limit = 1024 * 1024,
              .json_body = true,
              .summary = "Receive a Stripe event"},
             [&service](Request& req) -> awaitable<Response> {
               std::optional<std::string> signature;
               if (auto h = req.header("Stripe-Signature")) signature = std::string(*h);
               co_await service.handle_webhook(req.raw.body(), std::move(signature));
               co_return http::json_response(http::Status::ok, {{"received", true}});
             });
}

}  // namespace companion::billing
