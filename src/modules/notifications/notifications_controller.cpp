#include "modules/notifications/notifications_controller.hpp"

#include <boost/json.hpp>

#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "infra/http/paging.hpp"

namespace companion::notifications {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

bool parse_unread(const Request& req) {
  auto text = req.query_param("unread");
  if (!text) return false;
  if (*text == "true") return true;
  if (*text == "false") return false;
  throw ValidationError("unread", "must be true or false");
}

boost::json::object settings_json(const EmailSettings& settings) {
  boost::json::object email;
  for (const auto& [type, on] : settings) email[type] = on;
  return {{"email", std::move(email)}};
}

// {"email": {type: bool, …}}: the types named change.
EmailSettings parse_settings_patch(const boost::json::value& body) {
  if (!body.is_object()) throw ValidationError("body", "must be a JSON object");
  EmailSettings changes;
  std::vector<FieldError> errors;
  for (const auto& [key, value] : body.get_object()) {
    if (key != "email") {
      errors.push_back({std::string(key), "is not a known field"});
      continue;
    }
    if (!value.is_object()) {
      errors.push_back({"email", "must be an object of notification type to true or false"});
      continue;
    }
    for (const auto& [type, on] : value.get_object()) {
      if (!is_notification_type(type))
        errors.push_back({"email." + std::string(type), "is not a notification type"});
      else if (!on.is_bool())
        errors.push_back({"email." + std::string(type), "must be true or false"});
      else
        changes[std::string(type)] = on.get_bool();
    }
  }
  if (!errors.empty()) throw ValidationError(std::move(errors));
  return changes;
}

}  // namespace

void add_routes(http::Router& router, NotificationsService& service) {
  router.add(
      http::Verb::get, "/v1/notifications",
      {.query = {"limit", "cursor", "unread"}, .summary = "List notifications"},
      [&service](Request& req) -> awaitable<Response> {
        int limit = http::list_limit(req);
        auto cursor = http::id_cursor(req);
        bool unread = parse_unread(req);
        auto page = co_await service.list(req.user().user_id, cursor, unread, limit);
        boost::json::array items;
        for (const auto& n : page.items) items.push_back(to_json(n));
        boost::json::object body{{"items", std::move(items)}, {"unreadCount", page.unread_count}};
        if (page.next_cursor)
          body["nextCursor"] = http::encode_id_cursor(*page.next_cursor);
        else
          body["nextCursor"] = nullptr;
        co_return http::json_response(http::Status::ok, body);
      });

  router.add(http::Verb::post, "/v1/notifications/read-all", {.summary = "Mark all read"},
             [&service](Request& req) -> awaitable<Response> {
               co_await service.mark_all_read(req.user().user_id);
               co_return http::empty_response(http::Status::no_content);
             });

  router.add(http::Verb::post, "/v1/notifications/{id}/read", {.summary = "Mark one read"},
             [&service](Request& req) -> awaitable<Response> {
               auto id = req.path_param("id");
               if (!crypto::is_uuid(id)) throw NotFound("No notification with this id exists.");
               auto n = co_await service.mark_read(req.user().user_id, crypto::normalize_uuid(id));
               co_return http::json_response(http::Status::ok, to_json(n));
             });

  router.add(http::Verb::get, "/v1/me/notification-settings", {.summary = "E-mail settings"},
             [&service](Request& req) -> awaitable<Response> {
               auto settings = co_await service.email_settings(req.user().user_id);
               co_return http::json_response(http::Status::ok, settings_json(settings));
             });

  router.add(http::Verb::patch, "/v1/me/notification-settings",
             {.json_body = true, .summary = "Change e-mail settings"},
             [&service](Request& req) -> awaitable<Response> {
               auto changes = parse_settings_patch(req.json);
               auto settings =
                   co_await service.update_email_settings(req.user().user_id, std::move(changes));
               co_return http::json_response(http::Status::ok, settings_json(settings));
             });
}

}  // namespace companion::notifications
