#include "infra/http/problem.hpp"
#include "infra/http/json_text.hpp"

#include <boost/json.hpp>

namespace companion::http {
namespace {

struct Kind {
  Status status;
  const char* type;
  const char* title;
};

Kind describe(ErrorKind k) {
  switch (k) {
    case ErrorKind::kValidation:
      return {Status::bad_request, "/problems/validation", "Validation failed"};
    case ErrorKind::kBadRequest:
      return {Status::bad_request, "/problems/bad-request", "Bad request"};
    case ErrorKind::kUnauthorized:
      return {Status::unauthorized, "/problems/unauthorized", "Unauthorized"};
    case ErrorKind::kPaymentRequired:
      return {Status::payment_required, "/problems/quota-exceeded", "Quota exceeded"};
    case ErrorKind::kForbidden:
      return {Status::forbidden, "/problems/forbidden", "Forbidden"};
    case ErrorKind::kNotFound:
      return {Status::not_found, "/problems/not-found", "Not found"};
    case ErrorKind::kMethodNotAllowed:
      return {Status::method_not_allowed, "/problems/method-not-allowed", "Method not allowed"};
    case ErrorKind::kConflict:
      return {Status::conflict, "/problems/conflict", "Conflict"};
    case ErrorKind::kGone:
      return {Status::gone, "/problems/gone", "Gone"};
    case ErrorKind::kPreconditionFailed:
      return {Status::precondition_failed, "/problems/precondition-failed", "Precondition failed"};
    case ErrorKind::kChecksumMismatch:
      return {static_cast<Status>(460), "/problems/checksum-mismatch", "Checksum mismatch"};
    case ErrorKind::kTooLarge:
      return {Status::payload_too_large, "/problems/payload-too-large", "Payload too large"};
    case ErrorKind::kRangeNotSatisfiable:
      return {Status::range_not_satisfiable, "/problems/range-not-satisfiable",
              "Range not satisfiable"};
    case ErrorKind::kUnsupportedMedia:
      return {Status::unsupported_media_type, "/problems/unsupported-media-type",
              "Unsupported media type"};
    case ErrorKind::kUnprocessable:
      return {Status::unprocessable_entity, "/problems/unprocessable", "Unprocessable request"};
    case ErrorKind::kRateLimited:
      return {Status::too_many_requests, "/problems/rate-limited", "Too many requests"};
    case ErrorKind::kHeadersTooLarge:
      return {Status::request_header_fields_too_large, "/problems/headers-too-large",
              "Request header fields too large"};
    case ErrorKind::kUnavailable:
      return {Status::service_unavailable, "/problems/unavailable", "Service unavailable"};
  }
  return {Status::internal_server_error, "/problems/internal", "Internal server error"};
}

Response render(Status status, const char* type, const char* title, std::string_view detail,
                std::string_view instance, const std::vector<FieldError>* errors,
                const boost::json::object* extra = nullptr) {
  boost::json::object body;
  body["type"] = type;
  body["title"] = title;
  body["status"] = static_cast<int>(status);
  body["detail"] = detail;
  body["instance"] = instance;
  if (errors) {
    boost::json::array list;
    for (const auto& e : *errors) list.push_back({{"field", e.field}, {"message", e.message}});
    body["errors"] = std::move(list);
  }
  if (extra)
    for (const auto& [k, v] : *extra) body[k] = v;
  Response res{status, 11};
  res.set(bhttp::field::content_type, "application/problem+json");
  res.body() = to_json_text(body);
  res.prepare_payload();
  return res;
}

}  // namespace

Response problem_response(const ClientError& error, std::string_view instance) {
  auto k = describe(error.kind());
  const std::vector<FieldError>* errors = nullptr;
  if (auto* v = dynamic_cast<const ValidationError*>(&error)) errors = &v->errors();
  boost::json::object extra;
  if (auto* q = dynamic_cast<const QuotaExceeded*>(&error)) {
    extra["limit"] = q->limit();  // the contract's two members of a quota problem
    extra["used"] = q->used();
  }
  auto res = render(k.status, k.type, k.title, error.detail(), instance, errors,
                    extra.empty() ? nullptr : &extra);
  if (auto* r = dynamic_cast<const RateLimited*>(&error))
    res.set(bhttp::field::retry_after, std::to_string(r->retry_after_seconds()));
  if (auto* m = dynamic_cast<const MethodNotAllowed*>(&error))
    res.set(bhttp::field::allow, m->allow());
  if (error.kind() == ErrorKind::kUnauthorized)
    res.set(bhttp::field::www_authenticate, R"(Bearer realm="interview-companion")");
  return res;
}

Response internal_error_response(std::string_view instance) {
  return render(Status::internal_server_error, "/problems/internal", "Internal server error",
                "The server could not complete the request; it has been logged.", instance,
                nullptr);
}

}  // namespace companion::http
