#pragma once
// The S3 operations the store and its writers need, one method each, over
// the shared outgoing HTTP client (infra/http_client): it signs, retries
// and keeps the deadlines; this class builds the requests, reads the
// answers and turns failures into StorageError naming the operation, the
// key and the HTTP status (never the credentials). Thread-safe.
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/http_client/http_client.hpp"
#include "infra/storage/s3_blob_store.hpp"

namespace companion::storage {

class S3Client {
 public:
  explicit S3Client(S3Settings settings);

  const S3Settings& settings() const { return settings_; }

  void put_object(std::string_view key, std::string_view body);
  std::string create_upload(std::string_view key);
  // The part's ETag.
  std::string upload_part(std::string_view key, const std::string& upload_id, std::size_t number,
                          std::string_view body);
  void complete_upload(std::string_view key, const std::string& upload_id,
                       const std::vector<std::string>& etags);
  // Best effort: never throws. A failure is counted; the bucket's lifecycle
  // rules (AbortIncompleteMultipartUpload) are the backstop.
  void abort_upload(std::string_view key, const std::string& upload_id) noexcept;
  // Up to out.size() bytes from `offset`; 0 at or past the end.
  std::size_t get_range(std::string_view key, std::uint64_t offset, std::span<char> out);
  // The size, or nullopt when there is no such object.
  std::optional<std::uint64_t> head_object(std::string_view key);
  void delete_object(std::string_view key);
  // One attempt within check_timeout (readiness).
  void head_bucket();
  void create_bucket();

  S3Counters counters() const;

 private:
  // One S3 operation: its name and key for messages, and the HTTP request.
  struct Call {
    const char* operation;
    std::string_view key;  // empty for bucket operations
    http_client::Request http;
  };

  // `transfer` requests carry or fetch a lot and get the longer deadline.
  Call call(const char* operation, std::string_view key, http_client::Method method,
            std::string url, bool transfer = false) const;
  // The answer, whatever its status; throws StorageError when none came.
  http_client::Response perform(Call& call);
  std::string describe(const Call& call) const;
  [[noreturn]] void fail(const Call& call, const http_client::Response& response) const;

  const S3Settings settings_;
  const http_client::AwsSigV4 signing_;
  SystemClock clock_;  // the client wants one; S3 calls have no breaker to time
  http_client::HttpClient http_;
  std::atomic<std::uint64_t> parts_uploaded_{0};
  std::atomic<std::uint64_t> multipart_completed_{0};
  std::atomic<std::uint64_t> aborts_attempted_{0};
  std::atomic<std::uint64_t> aborts_failed_{0};
};

}  // namespace companion::storage
