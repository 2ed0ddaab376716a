#include "modules/uploads/tus_controller.hpp"

#include "infra/clock/rfc3339.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "infra/http/problem.hpp"
#include "modules/interviews/interviews_controller.hpp"

namespace companion::uploads {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

constexpr const char* kVersion = "1.0.0";
constexpr const char* kExtensions =
    "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination,"
    "concatenation";
constexpr const char* kChecksumAlgorithms = "sha1,sha256,md5";
constexpr std::string_view kOffsetStream = "application/offset+octet-stream";

std::optional<std::uint64_t> number_header(const Request& req, std::string_view name) {
  auto h = req.header(name);
  if (!h) return std::nullopt;
  return parse_upload_number(name, *h);
}

bool is_offset_stream(const Request& req) {
  auto ct = req.header("Content-Type");
  if (!ct) return false;
  auto type = ct->substr(0, ct->find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type == kOffsetStream;
}

// Every tus request but OPTIONS names the protocol version it speaks.
std::optional<Response> version_mismatch(const Request& req) {
  auto v = req.header("Tus-Resumable");
  if (v && *v == kVersion) return std::nullopt;
  auto res = http::problem_response(
      ClientError(ErrorKind::kPreconditionFailed,
                  v ? "This server speaks tus 1.0.0 only (Tus-Resumable: 1.0.0)."
                    : "A tus request needs the Tus-Resumable: 1.0.0 header."),
      req.path);
  res.set("Tus-Version", kVersion);
  return res;
}

std::string upload_id(const Request& req) {
  auto id = req.path_param("id");
  if (!crypto::is_uuid(id)) throw NotFound("There is no such upload.");
  return crypto::normalize_uuid(id);
}

std::string location(const Upload& u) {
  return "/v1/uploads/" + u.id;
}

void set_state(Response& res, const Upload& u) {
  res.set("Upload-Offset", std::to_string(u.offset));
  if (!u.completed_at_ms) res.set("Upload-Expires", format_http_date(u.expires_at_ms));
}

ReadBody read_body(Request& req) {
  auto* body = req.body;
  return [body](std::span<const std::span<char>> into) -> awaitable<std::size_t> {
    co_return co_await body->read(into);
  };
}

awaitable<Response> patch(TusService& service, Request& req) {
  if (auto mismatch = version_mismatch(req)) co_return std::move(*mismatch);
  if (!is_offset_stream(req))
    throw UnsupportedMedia("A PATCH body must be sent as application/offset+octet-stream.");
  auto offset = number_header(req, "Upload-Offset");
  if (!offset) throw BadRequest("A PATCH needs the Upload-Offset header.");
  AppendChunk chunk;
  chunk.user_id = req.user().user_id;
  chunk.upload_id = upload_id(req);
  chunk.traceparent = req.trace.traceparent();
  chunk.offset = *offset;
  chunk.length = number_header(req, "Upload-Length");
  chunk.content_length = req.body->content_length();
  if (auto c = req.header("Upload-Checksum")) chunk.checksum = parse_checksum(*c);
  auto body = read_body(req);
  auto result = co_await service.append(std::move(chunk), std::move(body));
  Response res{http::Status::no_content, 11};
  set_state(res, result.upload);
  co_return res;
}

awaitable<Response> terminate(TusService& service, Request& req) {
  if (auto mismatch = version_mismatch(req)) co_return std::move(*mismatch);
  co_await service.terminate(req.user().user_id, upload_id(req));
  co_return Response{http::Status::no_content, 11};
}

}  // namespace

void add_tus_routes(http::Router& router, TusService& service) {
  const std::vector<std::pair<std::string, std::string>> tus_headers = {
      {"Tus-Resumable", kVersion}};
  const auto max_size = service.settings().max_size;

  router.add(
      http::Verb::options, "/v1/uploads",
      {.auth = false, .response_headers = tus_headers, .summary = "tus: what this server supports"},
      [&service](Request&) -> awaitable<Response> {
        Response res{http::Status::no_content, 11};
        res.set("Tus-Version", kVersion);
        res.set("Tus-Extension", kExtensions);
        res.set("Tus-Max-Size", std::to_string(service.settings().max_size));
        res.set("Tus-Checksum-Algorithm", kChecksumAlgorithms);
        co_return res;
      });

  router.add(http::Verb::post, "/v1/uploads",
             {.body_limit = max_size,
              .streaming_body = true,
              .response_headers = tus_headers,
              .summary = "tus: create an upload (optionally with its first chunk)"},
             [&service](Request& req) -> awaitable<Response> {
               if (auto mismatch = version_mismatch(req)) co_return std::move(*mismatch);
               CreateUpload in;
               in.user_id = req.user().user_id;
               in.traceparent = req.trace.traceparent();
               in.length = number_header(req, "Upload-Length");
               if (auto d = req.header("Upload-Defer-Length")) {
                 if (*d != "1") throw BadRequest("Upload-Defer-Length must be 1.");
                 in.defer_length = true;
               }
               if (auto m = req.header("Upload-Metadata")) in.metadata = std::string(*m);
               if (auto c = req.header("Upload-Concat")) in.concat = std::string(*c);
               auto content_length = req.body->content_length();
               // No Content-Length: a chunked body, or none at all.
               bool with_body = content_length ? *content_length > 0 : !req.body->done();
               if (with_body && !is_offset_stream(req))
                 throw UnsupportedMedia(
                     "A first chunk sent with the creation must be "
                     "application/offset+octet-stream.");
               // Checked before anything is created: a bad checksum header
               // must not leave an upload behind.
               std::optional<Checksum> checksum;
               if (auto c = req.header("Upload-Checksum")) checksum = parse_checksum(*c);
               auto upload = co_await service.create(std::move(in));
               Response res{http::Status::created, 11};
               res.set(http::bhttp::field::location, location(upload));
               if (with_body && upload.concat != Concat::kFinal) {
                 AppendChunk chunk;
                 chunk.user_id = upload.user_id;
                 chunk.upload_id = upload.id;
                 chunk.traceparent = req.trace.traceparent();
                 chunk.offset = 0;
                 chunk.content_length = content_length;
                 chunk.checksum = checksum;
                 auto body = read_body(req);
                 auto result = co_await service.append(std::move(chunk), std::move(body));
                 upload = std::move(result.upload);
               }
               set_state(res, upload);
               res.content_length(0);
               co_return res;
             });

  router.add(http::Verb::head, "/v1/uploads/{id}",
             {.response_headers = tus_headers, .summary = "tus: an upload's offset"},
             [&service](Request& req) -> awaitable<Response> {
               if (auto mismatch = version_mismatch(req)) co_return std::move(*mismatch);
               auto u = co_await service.get(req.user().user_id, upload_id(req));
               Response res{http::Status::ok, 11};
               res.set(http::bhttp::field::cache_control, "no-store");
               set_state(res, u);
               if (u.length)
                 res.set("Upload-Length", std::to_string(*u.length));
               else
                 res.set("Upload-Defer-Length", "1");
               if (!u.metadata.empty()) res.set("Upload-Metadata", u.metadata);
               if (u.concat == Concat::kPartial) res.set("Upload-Concat", "partial");
               if (u.concat == Concat::kFinal) {
                 std::string v = "final;";
                 for (std::size_t i = 0; i < u.parts.size(); ++i)
                   v += (i ? " /v1/uploads/" : "/v1/uploads/") + u.parts[i];
                 res.set("Upload-Concat", v);
               }
               co_return res;
             });

  router.add(http::Verb::patch, "/v1/uploads/{id}",
             {.body_limit = max_size,
              .streaming_body = true,
              .response_headers = tus_headers,
              .summary = "tus: append a chunk"},
             [&service](Request& req) { return patch(service, req); });

  router.add(http::Verb::delete_, "/v1/uploads/{id}",
             {.response_headers = tus_headers, .summary = "tus: terminate an upload"},
             [&service](Request& req) { return terminate(service, req); });

  // For clients behind proxies that only pass GET and POST.
  router.add(http::Verb::post, "/v1/uploads/{id}",
             {.body_limit = max_size,
              .streaming_body = true,
              .response_headers = tus_headers,
              .summary = "tus: PATCH or DELETE through X-HTTP-Method-Override"},
             [&service](Request& req) -> awaitable<Response> {
               auto method = req.header("X-HTTP-Method-Override");
               if (method && *method == "PATCH") co_return co_await patch(service, req);
               if (method && *method == "DELETE") co_return co_await terminate(service, req);
               throw MethodNotAllowed("Use PATCH or DELETE (or X-HTTP-Method-Override).",
                                      "HEAD, PATCH, DELETE");
             });
}

}  // namespace companion::uploads
