#pragma once
// The client-facing errors. Services throw these; one place (http::problem)
// turns them into RFC 9457 problem+json. What the client may see is `detail`;
// anything for operators goes to the log, never into these messages.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace companion {

enum class ErrorKind {
  kValidation,           // 400
  kBadRequest,           // 400 (not a field problem: malformed JSON, bad query)
  kUnauthorized,         // 401
  kPaymentRequired,      // 402
  kForbidden,            // 403
  kNotFound,             // 404
  kMethodNotAllowed,     // 405
  kConflict,             // 409
  kGone,                 // 410
  kPreconditionFailed,   // 412 (an unsupported Tus-Resumable version)
  kTooLarge,             // 413
  kRangeNotSatisfiable,  // 416
  kUnsupportedMedia,     // 415
  kUnprocessable,        // 422
  kChecksumMismatch,     // 460 (tus checksum extension)
  kRateLimited,          // 429
  kHeadersTooLarge,      // 431
  kUnavailable,          // 503
};

struct FieldError {
  std::string field;
  std::string message;
};

class ClientError : public std::runtime_error {
 public:
  ClientError(ErrorKind kind, std::string detail)
      : std::runtime_error(detail), kind_(kind), detail_(std::move(detail)) {}
  ErrorKind kind() const { return kind_; }
  const std::string& detail() const { return detail_; }

 private:
  ErrorKind kind_;
  std::string detail_;
};

class ValidationError : public ClientError {
 public:
  explicit ValidationError(std::vector<FieldError> errors,
                           std::string detail = "The request has invalid fields.")
      : ClientError(ErrorKind::kValidation, std::move(detail)), errors_(std::move(errors)) {}
  // One field's problem.
  ValidationError(std::string field, std::string message)
      : ValidationError(std::vector<FieldError>{{std::move(field), std::move(message)}}) {}
  const std::vector<FieldError>& errors() const { return errors_; }

 private:
  std::vector<FieldError> errors_;
};

class BadRequest : public ClientError {
 public:
  explicit BadRequest(std::string detail)
      : ClientError(ErrorKind::kBadRequest, std::move(detail)) {}
};
class Unauthorized : public ClientError {
 public:
  explicit Unauthorized(std::string detail = "Authentication is required.")
      : ClientError(ErrorKind::kUnauthorized, std::move(detail)) {}
};
class NotFound : public ClientError {
 public:
  explicit NotFound(std::string detail = "The resource does not exist.")
      : ClientError(ErrorKind::kNotFound, std::move(detail)) {}
};
class Conflict : public ClientError {
 public:
  explicit Conflict(std::string detail) : ClientError(ErrorKind::kConflict, std::move(detail)) {}
};
class TooLarge : public ClientError {
 public:
  explicit TooLarge(std::string detail) : ClientError(ErrorKind::kTooLarge, std::move(detail)) {}
};
class UnsupportedMedia : public ClientError {
 public:
  explicit UnsupportedMedia(std::string detail)
      : ClientError(ErrorKind::kUnsupportedMedia, std::move(detail)) {}
};
class Unprocessable : public ClientError {
 public:
  explicit Unprocessable(std::string detail)
      : ClientError(ErrorKind::kUnprocessable, std::move(detail)) {}
};
class RateLimited : public ClientError {
 public:
  RateLimited(std::string detail, int retry_after_seconds)
      : ClientError(ErrorKind::kRateLimited, std::move(detail)),
        retry_after_seconds_(retry_after_seconds) {}
  int retry_after_seconds() const { return retry_after_seconds_; }

 private:
  int retry_after_seconds_;
};
class MethodNotAllowed : public ClientError {
 public:
  MethodNotAllowed(std::string detail, std::string allow)
      : ClientError(ErrorKind::kMethodNotAllowed, std::move(detail)), allow_(std::move(allow)) {}
  const std::string& allow() const { return allow_; }

 private:
  std::string allow_;
};
class Gone : public ClientError {
 public:
  explicit Gone(std::string detail) : ClientError(ErrorKind::kGone, std::move(detail)) {}
};
class Forbidden : public ClientError {
 public:
  explicit Forbidden(std::string detail) : ClientError(ErrorKind::kForbidden, std::move(detail)) {}
};
class PreconditionFailed : public ClientError {
 public:
  explicit PreconditionFailed(std::string detail)
      : ClientError(ErrorKind::kPreconditionFailed, std::move(detail)) {}
};
class ChecksumMismatch : public ClientError {
 public:
  explicit ChecksumMismatch(std::string detail)
      : ClientError(ErrorKind::kChecksumMismatch, std::move(detail)) {}
};
// Over a plan's limit (402, /problems/quota-exceeded): `limit` and
// `used` are in the unit the detail names (minutes, bytes, recordings).
class QuotaExceeded : public ClientError {
 public:
  QuotaExceeded(std::string detail, std::int64_t limit, std::int64_t used)
      : ClientError(ErrorKind::kPaymentRequired, std::move(detail)), limit_(limit), used_(used) {}
  std::int64_t limit() const { return limit_; }
  std::int64_t used() const { return used_; }

 private:
  std::int64_t limit_;
  std::int64_t used_;
};
class Unavailable : public ClientError {
 public:
  explicit Unavailable(std::string detail)
      : ClientError(ErrorKind::kUnavailable, std::move(detail)) {}
};

}  // namespace companion
