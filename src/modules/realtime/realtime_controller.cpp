#include "modules/realtime/realtime_controller.hpp"

#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"

namespace companion::realtime {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

void check_origin(const Request& req, const std::vector<std::string>& allowed) {
  auto origin = req.header("Origin");
  if (!origin) return;
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) return;
  if (std::find(allowed.begin(), allowed.end(), *origin) != allowed.end()) return;
  throw Forbidden("Streams may not be opened from this origin.");
}

// The caller: from a bearer token (the pipeline checked it) or a ticket.
awaitable<StreamOwner> owner_of(Request& req, RealtimeService& service) {
  if (req.caller) co_return StreamOwner{req.caller->user_id, req.caller->session_id};
  auto ticket = req.query_param("ticket");
  if (!ticket)
    throw Unauthorized("A ticket (POST /v1/realtime/tickets) or a bearer token is required.");
  auto owner = co_await service.redeem_ticket(std::string(*ticket));
  if (!owner) throw Unauthorized("The ticket is unknown, expired or already used.");
  co_return StreamOwner{owner->first, owner->second};
}

std::optional<std::int64_t> parse_seq(std::string_view text) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

void add_routes(http::Router& router, RealtimeRoutes r) {
  auto routes = std::make_shared<RealtimeRoutes>(std::move(r));

  router.add(http::Verb::post, "/v1/realtime/tickets", {.summary = "Issue a stream ticket"},
             [routes](Request& req) -> awaitable<Response> {
               const auto& caller = req.user();
               auto ticket =
                   co_await routes->service.issue_ticket(caller.user_id, caller.session_id);
               co_return http::json_response(
                   http::Status::created,
                   {{"ticket", ticket.token}, {"expiresIn", ticket.expires_in.count()}});
             });

  router.add(http::Verb::get, "/v1/ws",
             {.auth = false,
              .bearer_optional = true,
              .query = {"ticket"},
              .summary = "Follow events over a WebSocket"},
             [routes](Request& req) -> awaitable<Response> {
               if (!boost::beast::websocket::is_upgrade(req.raw))
                 throw BadRequest("This route speaks WebSocket: send an Upgrade request.");
               check_origin(req, routes->allowed_origins);
               auto owner = co_await owner_of(req, routes->service);
               req.takeover = websocket_takeover(routes->hub, routes->service, std::move(owner),
                                                 routes->transport);
               co_return http::empty_response(http::Status::switching_protocols);
             });

  router.add(http::Verb::get, "/v1/events",
             {.auth = false,
              .bearer_optional = true,
              .query = {"interviewId", "ticket"},
              .summary = "Follow events as Server-Sent Events"},
             [routes](Request& req) -> awaitable<Response> {
               check_origin(req, routes->allowed_origins);
               std::optional<std::string> interview;
               if (auto id = req.query_param("interviewId")) {
                 if (!crypto::is_uuid(*id))
                   throw ValidationError("interviewId", "must be an interview's id");
                 interview = crypto::normalize_uuid(*id);
               }
               std::optional<std::int64_t> resume_from;
               if (auto last = req.header("Last-Event-ID"); last && !last->empty()) {
                 resume_from = parse_seq(*last);
                 if (!resume_from)
                   throw ValidationError("Last-Event-ID", "must be a seq this stream sent");
               }
               auto owner = co_await owner_of(req, routes->service);
               req.takeover = sse_takeover(routes->hub, routes->service, std::move(owner),
                                           routes->transport, interview, resume_from);
               co_return http::empty_response(http::Status::ok);
             });
}

}  // namespace companion::realtime
