#include "modules/analysis/analysis_controller.hpp"

#include "modules/interviews/interviews_controller.hpp"

namespace companion::analysis {

void add_routes(http::Router& router, AnalysisService& service) {
  router.add(http::Verb::get, "/v1/interviews/{id}/analysis",
             {.summary = "Read an interview's analysis"},
             [&service](http::Request& req) -> boost::asio::awaitable<http::Response> {
               auto body = co_await service.get(req.user().user_id, interviews::interview_id(req));
               co_return http::json_response(http::Status::ok, body);
             });
  router.add(http::Verb::get, "/v1/interviews/{id}/report.html",
             {.summary = "Read an interview's report page"},
             [&service](http::Request& req) -> boost::asio::awaitable<http::Response> {
               auto html =
                   co_await service.report(req.user().user_id, interviews::interview_id(req));
               auto res = http::text_response(http::Status::ok, std::move(html),
                                              "text/html; charset=utf-8");
               // Nothing from elsewhere and nothing that runs: the page is
               // its own styles and SVG.
               res.set("Content-Security-Policy",
                       "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                       "frame-ancestors 'none'");
               co_return res;
             });
}

}  // namespace companion::analysis
