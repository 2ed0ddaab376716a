#include "modules/audit/audit_controller.hpp"

#include <boost/json.hpp>

#include "infra/clock/rfc3339.hpp"
#include "infra/http/paging.hpp"

namespace companion::audit {

boost::json::value to_json(const AuditEntry& e) {
  boost::json::value detail = boost::json::object();
  boost::system::error_code ec;
  auto parsed = boost::json::parse(e.detail, ec);
  if (!ec && parsed.is_object()) detail = std::move(parsed);
  boost::json::value ip = nullptr;
  if (e.ip) ip = boost::json::string(*e.ip);
  return {{"id", std::to_string(e.id)},
          {"action", e.action},
          {"at", format_rfc3339(e.at_ms)},
          {"ip", std::move(ip)},
          {"detail", std::move(detail)}};
}

void add_routes(http::Router& router, AuditLog& log) {
  router.add(http::Verb::get, "/v1/me/audit",
             {.query = {"limit", "cursor"}, .summary = "The signed-in user's audit entries"},
             [&log](http::Request& req) -> boost::asio::awaitable<http::Response> {
               int limit = http::list_limit(req);
               auto cursor = http::number_cursor(req);
               auto page = co_await log.list(req.user().user_id, cursor, limit);
               boost::json::array items;
               for (const auto& e : page.items) items.push_back(to_json(e));
               boost::json::object body{{"items", std::move(items)}};
               if (page.next_cursor)
                 body["nextCursor"] = http::encode_number_cursor(*page.next_cursor);
               else
                 body["nextCursor"] = nullptr;
               co_return http::json_response(http::Status::ok, body);
             });
}

}  // namespace companion::audit
