#include "modules/privacy/privacy_controller.hpp"

#include <boost/json.hpp>

#include <array>
#include <stdexcept>

#include "infra/clock/rfc3339.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "infra/http/json_body.hpp"

namespace companion::privacy {

namespace {

using boost::asio::awaitable;

// Streams an archive in 64 KiB pieces.
class ArchiveBody final : public http::BodySource {
 public:
  ArchiveBody(ExportService& service, Archive archive)
      : service_(service), archive_(std::move(archive)), end_(archive_.reader->size()) {}
  awaitable<std::string_view> next() override {
    if (next_ >= end_) co_return std::string_view{};
    auto want = std::min<std::uint64_t>(buffer_.size(), end_ - next_);
    auto n = co_await service_.read(archive_, next_, {buffer_.data(), want});
    if (n == 0) throw std::runtime_error("the archive ended before its size");
    next_ += n;
    co_return std::string_view(buffer_.data(), n);
  }

 private:
  ExportService& service_;
  Archive archive_;
  std::uint64_t next_ = 0;
  std::uint64_t end_;
  std::array<char, 64 * 1024> buffer_;
};

std::string export_id(http::Request& req) {
  auto id = req.path_param("exportId");
  if (!crypto::is_uuid(id)) throw NotFound("No export with this id exists.");
  return crypto::normalize_uuid(id);
}

}  // namespace

boost::json::value to_json(const Export& e) {
  return {{"id", e.id},
          {"status", e.status == "building" ? "pending" : e.status},
          {"createdAt", format_rfc3339(e.created_at_ms)},
          {"expiresAt", format_rfc3339(e.expires_at_ms)}};
}

void add_routes(http::Router& router, ErasureService& erasure, RetentionService& retention,
                ExportService& exports) {
  router.add(http::Verb::post, "/v1/me/exports", {.summary = "Export everything of the user"},
             [&exports](http::Request& req) -> awaitable<http::Response> {
               auto e = co_await exports.request(req.user().user_id, req.client_ip);
               auto res = http::json_response(http::Status::accepted, to_json(e));
               res.set(http::bhttp::field::location, "/v1/me/exports/" + e.id);
               co_return res;
             });

  router.add(http::Verb::get, "/v1/me/exports/{exportId}", {.summary = "An export's state"},
             [&exports](http::Request& req) -> awaitable<http::Response> {
               auto e = co_await exports.get(req.user().user_id, export_id(req));
               co_return http::json_response(http::Status::ok, to_json(e));
             });

  router.add(
      http::Verb::get, "/v1/me/exports/{exportId}/archive", {.summary = "Download an export"},
      [&exports](http::Request& req) -> awaitable<http::Response> {
        auto archive = co_await exports.open(req.user().user_id, export_id(req), req.client_ip);
        auto size = archive.reader->size();
        http::Response res{http::Status::ok, 11};
        res.set(http::bhttp::field::content_type, "application/zip");
        res.set(http::bhttp::field::content_disposition,
                "attachment; filename=\"interview-companion-export-" +
                    format_rfc3339(archive.info.created_at_ms).substr(0, 10) + ".zip\"");
        res.set(http::bhttp::field::cache_control, "no-store");
        res.content_length(size);
        if (size > 0)
          req.response_body = std::make_unique<ArchiveBody>(exports, std::move(archive));
        co_return res;
      });

  router.add(http::Verb::delete_, "/v1/interviews/{id}/recording",
             {.summary = "Withdraw consent: the recording goes"},
             [&retention](http::Request& req) -> boost::asio::awaitable<http::Response> {
               auto id = req.path_param("id");
               if (!crypto::is_uuid(id)) throw NotFound("No interview with this id exists.");
               co_await retention.withdraw_consent(req.user().user_id, crypto::normalize_uuid(id),
                                                   req.client_ip);
               co_return http::empty_response(http::Status::no_content);
             });

  router.add(http::Verb::delete_, "/v1/me",
             {.json_body = true,
              .rate = http::RateClass::kAuth,
              .summary = "Erase the account and everything in it"},
             [&erasure](http::Request& req) -> boost::asio::awaitable<http::Response> {
               http::ObjectReader body(req.json);
               auto password = body.required_string("password", {1, 1024});
               body.finish();
               auth::Session session{req.user().user_id, req.user().session_id};
               co_await erasure.request(std::move(session), std::move(password), req.client_ip);
               co_return http::json_response(http::Status::accepted,
                                             boost::json::object{{"status", "erasing"}});
             });
}

}  // namespace companion::privacy
