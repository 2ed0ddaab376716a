#include "modules/webhooks/webhooks_controller.hpp"

#include <boost/json.hpp>

#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "infra/http/paging.hpp"

namespace companion::webhooks {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

std::string id_param(const Request& req, std::string_view name, const char* not_found) {
  auto id = req.path_param(name);
  if (!crypto::is_uuid(id)) throw NotFound(not_found);
  return crypto::normalize_uuid(id);
}

// The fields of a create or a patch; `creating` requires url and events.
struct Fields {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<std::string> description;
  std::optional<bool> disabled;
};

Fields parse_fields(const boost::json::value& body, bool creating) {
  if (!body.is_object()) throw ValidationError("body", "must be a JSON object");
  Fields f;
  std::vector<FieldError> errors;
  for (const auto& [key, v] : body.get_object()) {
    if (key == "url") {
      if (v.is_string())
        f.url = std::string(v.get_string());
      else
        errors.push_back({"url", "must be a string"});
    } else if (key == "events") {
      if (!v.is_array()) {
        errors.push_back({"events", "must be an array of event types"});
        continue;
      }
      std::vector<std::string> events;
      for (const auto& e : v.get_array()) {
        if (e.is_string())
          events.emplace_back(e.get_string());
        else
          errors.push_back({"events", "must be an array of event types"});
      }
      f.events = std::move(events);
    } else if (key == "description") {
      if (v.is_string())
        f.description = std::string(v.get_string());
      else if (!v.is_null())
        errors.push_back({"description", "must be a string"});
      else
        f.description = std::string();
    } else if (key == "disabled" && !creating) {
      if (v.is_bool())
        f.disabled = v.get_bool();
      else
        errors.push_back({"disabled", "must be true or false"});
    } else {
      errors.push_back({std::string(key), "is not a known field"});
    }
  }
  if (creating && !f.url) errors.push_back({"url", "is required"});
  if (creating && !f.events) errors.push_back({"events", "is required"});
  if (!errors.empty()) throw ValidationError(std::move(errors));
  return f;
}

boost::json::object page_json(boost::json::array items, std::optional<std::string> next) {
  boost::json::object o{{"items", std::move(items)}};
  if (next)
    o["nextCursor"] = http::encode_id_cursor(*next);
  else
    o["nextCursor"] = nullptr;
  return o;
}

constexpr const char* kNoWebhook = "No webhook with this id exists.";

}  // namespace

void add_routes(http::Router& router, WebhooksService& service) {
  router.add(http::Verb::post, "/v1/webhooks",
             {.json_body = true, .idempotent = true, .summary = "Create a webhook"},
             [&service](Request& req) -> awaitable<Response> {
               auto f = parse_fields(req.json, true);
               // Named, not a braced temporary in the co_await (GCC 12).
               NewWebhook input{
                   .url = *f.url, .events = *f.events, .description = f.description.value_or("")};
               auto created =
                   co_await service.create(req.user().user_id, std::move(input), req.client_ip);
               auto body = to_json(created.webhook);
               body["secret"] = created.secret;
               auto res = http::json_response(http::Status::created, body);
               res.set(http::bhttp::field::location, "/v1/webhooks/" + created.webhook.id);
               res.set(http::bhttp::field::cache_control, "no-store");
               co_return res;
             });

  router.add(http::Verb::get, "/v1/webhooks",
             {.query = {"limit", "cursor"}, .summary = "List webhooks"},
             [&service](Request& req) -> awaitable<Response> {
               int limit = http::list_limit(req);
               auto cursor = http::id_cursor(req);
               auto items = co_await service.list(req.user().user_id, cursor, limit + 1);
               auto next = http::page_cursor(items, limit);
               boost::json::array out;
               for (const auto& w : items) out.push_back(to_json(w));
               co_return http::json_response(http::Status::ok, page_json(std::move(out), next));
             });

  router.add(http::Verb::get, "/v1/webhooks/{id}", {.summary = "Read a webhook"},
             [&service](Request& req) -> awaitable<Response> {
               auto w = co_await service.get(req.user().user_id, id_param(req, "id", kNoWebhook));
               co_return http::json_response(http::Status::ok, to_json(w));
             });

  router.add(
      http::Verb::patch, "/v1/webhooks/{id}", {.json_body = true, .summary = "Change a webhook"},
      [&service](Request& req) -> awaitable<Response> {
        auto id = id_param(req, "id", kNoWebhook);
        auto f = parse_fields(req.json, false);
        WebhookPatch patch{
            .url = f.url, .events = f.events, .description = f.description, .disabled = f.disabled};
        auto w = co_await service.update(req.user().user_id, id, std::move(patch));
        co_return http::json_response(http::Status::ok, to_json(w));
      });

  router.add(http::Verb::delete_, "/v1/webhooks/{id}", {.summary = "Delete a webhook"},
             [&service](Request& req) -> awaitable<Response> {
               co_await service.remove(req.user().user_id, id_param(req, "id", kNoWebhook));
               co_return http::empty_response(http::Status::no_content);
             });

  router.add(http::Verb::get, "/v1/webhooks/{id}/deliveries",
             {.query = {"limit", "cursor"}, .summary = "A webhook's delivery log"},
             [&service](Request& req) -> awaitable<Response> {
               int limit = http::list_limit(req);
               auto id = id_param(req, "id", kNoWebhook);
               auto cursor = http::id_cursor(req);
               auto items = co_await service.deliveries(req.user().user_id, id, cursor, limit + 1);
               auto next = http::page_cursor(items, limit);
               boost::json::array out;
               for (const auto& d : items) out.push_back(to_json(d));
               co_return http::json_response(http::Status::ok, page_json(std::move(out), next));
             });

  router.add(http::Verb::post, "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver",
             {.summary = "Send a delivery again"}, [&service](Request& req) -> awaitable<Response> {
               auto id = id_param(req, "id", kNoWebhook);
               auto delivery = id_param(req, "deliveryId", "No delivery with this id exists.");
               auto d = co_await service.redeliver(req.user().user_id, id, delivery);
               co_return http::json_response(http::Status::accepted, to_json(d));
             });
}

}  // namespace companion::webhooks
