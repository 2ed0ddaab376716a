#include "modules/users/users_controller.hpp"

#include <boost/json.hpp>

#include "infra/clock/rfc3339.hpp"
#include "infra/errors/errors.hpp"
#include "infra/http/json_body.hpp"

namespace companion::users {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

constexpr http::StringRule kDisplayNameRule{1, 100};

boost::json::value days(const std::optional<std::int64_t>& d) {
  if (d) return *d;
  return nullptr;
}

// The user with their settings (GET and PATCH /v1/me).
boost::json::object profile_json(const User& u, const UsersSettings& settings) {
  auto out = to_json(u).as_object();
  out["settings"] = {{"retention",
                      {{"recordingDays", days(u.retention_recording_days)},
                       {"transcriptDays", days(u.retention_transcript_days)},
                       {"maxDays", days(settings.retention_max_days)}}}};
  return out;
}

ProfileChange parse_change(const boost::json::value& body) {
  http::ObjectReader r(body);
  ProfileChange change;
  change.display_name = r.optional_string("displayName", kDisplayNameRule);
  if (const auto* retention = r.optional_object("retention")) {
    http::ObjectReader nested(*retention, "retention");
    change.retention_recording_days = nested.patch_integer("recordingDays", 1, kRetentionDaysLimit);
    change.retention_transcript_days =
        nested.patch_integer("transcriptDays", 1, kRetentionDaysLimit);
    nested.finish_into(r);
  }
  r.finish();
  return change;
}

}  // namespace

boost::json::value to_json(const User& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"displayName", u.display_name},
          {"createdAt", format_rfc3339(u.created_at_ms)}};
}

void add_routes(http::Router& router, UsersService& service) {
  auto me = [&service](Request& req) -> awaitable<Response> {
    auto user = co_await service.find_by_id(req.user().user_id);
    if (!user) throw NotFound("The account no longer exists.");
    co_return http::json_response(http::Status::ok, profile_json(*user, service.settings()));
  };
  router.add(http::Verb::get, "/v1/users/me", {.summary = "The signed-in user"}, me);
  router.add(http::Verb::get, "/v1/me", {.summary = "The signed-in user and their settings"}, me);

  router.add(http::Verb::patch, "/v1/me",
             {.json_body = true, .summary = "Change the display name or retention settings"},
             [&service](Request& req) -> awaitable<Response> {
               auto change = parse_change(req.json);
               auto user = co_await service.update_profile(req.user().user_id, std::move(change));
               co_return http::json_response(http::Status::ok,
                                             profile_json(user, service.settings()));
             });
}

}  // namespace companion::users
