#include "modules/interviews/interviews_controller.hpp"

#include <boost/json.hpp>

#include <charconv>

#include "infra/clock/rfc3339.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "infra/http/json_body.hpp"
#include "infra/http/paging.hpp"

namespace companion::interviews {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

std::optional<Cursor> parse_cursor(const Request& req) {
  auto text = req.query_param("cursor");
  if (!text || text->empty()) return std::nullopt;
  auto cursor = decode_cursor(*text);
  if (!cursor) throw ValidationError("cursor", "is not a cursor this service issued");
  return cursor;
}

}  // namespace

std::string interview_id(const http::Request& req) {
  auto id = req.path_param("id");
  if (!crypto::is_uuid(id)) throw NotFound("No interview with this id exists.");
  return crypto::normalize_uuid(id);
}

void add_routes(http::Router& router, InterviewsService& service) {
  router.add(http::Verb::post, "/v1/interviews", {.json_body = true, .idempotent = true},
             [&service](Request& req) -> awaitable<Response> {
               auto input = parse_new_interview(req.json);
               auto created = co_await service.create(req.user().user_id, std::move(input));
               auto res = http::json_response(http::Status::created, to_json(created));
               res.set(http::bhttp::field::location, "/v1/interviews/" + created.id);
               co_return res;
             });

  router.add(http::Verb::get, "/v1/interviews", {.query = {"limit", "cursor"}},
             [&service](Request& req) -> awaitable<Response> {
               int limit = http::list_limit(req);
               auto cursor = parse_cursor(req);
               auto page = co_await service.list(req.user().user_id, cursor, limit);
               boost::json::monotonic_resource arena;
               boost::json::array items(&arena);
               items.reserve(page.items.size());
               for (const auto& i : page.items) items.push_back(to_json(i, &arena));
               boost::json::object out(&arena);
               out["items"] = std::move(items);
               out["nextCursor"] = page.next ? boost::json::value(encode_cursor(*page.next))
                                             : boost::json::value(nullptr);
               co_return http::json_response(http::Status::ok, out);
             });

  router.add(http::Verb::get, "/v1/interviews/{id}", {},
             [&service](Request& req) -> awaitable<Response> {
               auto found = co_await service.get(req.user().user_id, interview_id(req));
               boost::json::monotonic_resource arena;
               auto body = to_json(found, &arena);
               co_return http::json_response(http::Status::ok, body);
             });

  router.add(http::Verb::patch, "/v1/interviews/{id}", {.json_body = true},
             [&service](Request& req) -> awaitable<Response> {
               auto id = interview_id(req);
               auto patch = parse_interview_patch(req.json);
               auto updated = co_await service.update(req.user().user_id, id, std::move(patch));
               co_return http::json_response(http::Status::ok, to_json(updated));
             });

  router.add(http::Verb::delete_, "/v1/interviews/{id}", {},
             [&service](Request& req) -> awaitable<Response> {
               co_await service.remove(req.user().user_id, interview_id(req));
               co_return http::empty_response(http::Status::no_content);
             });

  router.add(http::Verb::post, "/v1/interviews/{id}/cancel",
             {.idempotent = true, .summary = "Stop processing an interview"},
             [&service](Request& req) -> awaitable<Response> {
               auto cancelled = co_await service.cancel(req.user().user_id, interview_id(req),
                                                        req.trace.traceparent());
               co_return http::json_response(http::Status::ok, to_json(cancelled));
             });

  router.add(http::Verb::post, "/v1/interviews/{id}/reanalyze",
             {.json_body = true,
              .json_body_optional = true,
              .idempotent = true,
              .summary = "Analyse the stored transcript again"},
             [&service](Request& req) -> awaitable<Response> {
               auto job_description = parse_reanalysis(req.json);
               auto again =
                   co_await service.reanalyze(req.user().user_id, interview_id(req),
                                              std::move(job_description), req.trace.traceparent());
               co_return http::json_response(http::Status::accepted, to_json(again));
             });

  router.add(http::Verb::post, "/v1/interviews/{id}/retry",
             {.idempotent = true, .summary = "Process a failed or cancelled interview again"},
             [&service](Request& req) -> awaitable<Response> {
               auto retried = co_await service.retry(req.user().user_id, interview_id(req),
                                                     req.trace.traceparent());
               co_return http::json_response(http::Status::accepted, to_json(retried));
             });
}

// --- the JSON forms ---------------------------------------------------------

namespace {

constexpr http::StringRule kTitle{1, 200};
constexpr http::StringRule kCompany{0, 200};
constexpr http::StringRule kRole{0, 200};
constexpr http::StringRule kJobDescription{0, 20000};

}  // namespace

NewInterview parse_new_interview(const boost::json::value& body) {
  http::ObjectReader r(body);
  NewInterview n;
  n.title = r.required_string("title", kTitle);
  n.company = r.optional_string("company", kCompany);
  n.role = r.optional_string("role", kRole);
  n.job_description = r.optional_string("jobDescription", kJobDescription);
  n.scheduled_at_ms = r.optional_timestamp("scheduledAt");
  r.finish();
  return n;
}

InterviewPatch parse_interview_patch(const boost::json::value& body) {
  http::ObjectReader r(body);
  InterviewPatch p;
  p.title = r.patch_string("title", kTitle, false);
  p.company = r.patch_string("company", kCompany, true);
  p.role = r.patch_string("role", kRole, true);
  p.job_description = r.patch_string("jobDescription", kJobDescription, true);
  p.scheduled_at_ms = r.patch_timestamp("scheduledAt");
  r.finish();
  return p;
}

Patch<std::string> parse_reanalysis(const boost::json::value& body) {
  http::ObjectReader r(body);
  auto job_description = r.patch_string("jobDescription", kJobDescription, true);
  r.finish();
  return job_description;
}

boost::json::value to_json(const Interview& i, boost::json::storage_ptr storage) {
  boost::json::object o(12, storage);
  auto text_or_null = [&](std::string_view key, const std::optional<std::string>& s) {
    if (s)
      o.emplace(key, *s);
    else
      o.emplace(key, nullptr);
  };
  auto json_or_null = [&](std::string_view key, const std::optional<std::string>& s) {
    if (s)
      o.emplace(key, boost::json::parse(*s, storage));
    else
      o.emplace(key, nullptr);
  };
  o.emplace("id", i.id);
  o.emplace("title", i.title);
  text_or_null("company", i.company);
  text_or_null("role", i.role);
  text_or_null("jobDescription", i.job_description);
  o.emplace("status", to_string(i.status));
  if (i.scheduled_at_ms)
    o.emplace("scheduledAt", format_rfc3339(*i.scheduled_at_ms));
  else
    o.emplace("scheduledAt", nullptr);
  o.emplace("createdAt", format_rfc3339(i.created_at_ms));
  o.emplace("updatedAt", format_rfc3339(i.updated_at_ms));
  json_or_null("recording", i.recording_json);
  json_or_null("progress", i.progress_json);
  json_or_null("failure", i.status == Status::kFailed ? i.failure_json : std::nullopt);
  json_or_null("purged", i.purged_json);
  return boost::json::value(std::move(o));
}

}  // namespace companion::interviews
