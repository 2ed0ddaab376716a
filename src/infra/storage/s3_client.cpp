#include "infra/storage/s3_client.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

#include "infra/storage/s3_endpoint.hpp"
#include "infra/storage/s3_xml.hpp"

namespace companion::storage {
namespace {

using http_client::Method;

// Error documents and XML results are small; a larger answer is not S3's.
constexpr std::size_t kKeptBodyLimit = 64 * 1024;
// A ranged read larger than this gets the transfer deadline.
constexpr std::size_t kSmallRead = 1024 * 1024;
constexpr long kLowSpeedLimit = 1024;  // bytes per second

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "bytes FIRST-LAST/TOTAL" (TOTAL may be "*"), or "bytes */TOTAL".
struct ContentRange {
  std::optional<std::uint64_t> first;
  std::optional<std::uint64_t> total;
};
ContentRange parse_content_range(std::string_view v) {
  ContentRange r;
  if (v.substr(0, 6) != "bytes ") return r;
  v.remove_prefix(6);
  auto slash = v.find('/');
  if (slash == std::string_view::npos) return r;
  r.total = parse_u64(v.substr(slash + 1));
  auto dash = v.find('-');
  if (dash != std::string_view::npos && dash < slash) r.first = parse_u64(v.substr(0, dash));
  return r;
}

}  // namespace

S3Client::S3Client(S3Settings settings)
    : settings_(std::move(settings)),
      signing_(s3::signing(settings_)),
      http_({.retry = {.max_attempts = settings_.max_attempts,
                       .base_backoff = std::chrono::milliseconds(200),
                       .max_backoff = std::chrono::milliseconds(5'000),
                       // A part that timed out once would likely time out again.
                       .retry_timeouts = false}},
            clock_) {}

S3Client::Call S3Client::call(const char* operation, std::string_view key, Method method,
                              std::string url, bool transfer) const {
  return {operation, key,
          http_client::Request{.method = method,
                               .url = std::move(url),
                               .deadline = {.connect = settings_.connect_timeout,
                                            .total = transfer ? settings_.transfer_timeout
                                                              : settings_.request_timeout,
                                            .low_speed_bytes = kLowSpeedLimit,
                                            .low_speed_time = settings_.low_speed_time},
                               .aws_sigv4 = signing_,
                               .body_limit = kKeptBodyLimit}};
}

http_client::Response S3Client::perform(Call& c) {
  auto* payload = std::get_if<std::string_view>(&c.http.body);
  c.http.headers.push_back(s3::payload_hash_header(payload ? *payload : std::string_view()));
  auto response = http_.perform(c.http);
  if (response.ok()) return response;
  bool timed_out = response.failure == http_client::Failure::kTimedOut;
  throw StorageError(describe(c) + (timed_out ? ": timed out: " : ": request failed: ") +
                     response.error + " (endpoint " + settings_.endpoint + ", " +
                     std::to_string(response.attempts) +
                     (response.attempts == 1 ? " attempt)" : " attempts)"));
}

std::string S3Client::describe(const Call& c) const {
  return "S3 " + std::string(c.operation) + " " +
         (c.key.empty() ? "bucket " + settings_.bucket : std::string(c.key));
}

void S3Client::fail(const Call& c, const http_client::Response& response) const {
  throw StorageError(describe(c) + ": HTTP " + std::to_string(response.status) +
                     s3::error_summary(response.body));
}

void S3Client::put_object(std::string_view key, std::string_view body) {
  auto c = call("PutObject", key, Method::kPut, s3::object_url(settings_, key), true);
  c.http.body = body;
  c.http.headers.push_back("Content-Type: application/octet-stream");
  auto r = perform(c);
  if (r.status != 200) fail(c, r);
}

std::string S3Client::create_upload(std::string_view key) {
  auto c = call("CreateMultipartUpload", key, Method::kPost,
                s3::object_url(settings_, key, {{"uploads", ""}}));
  c.http.headers.push_back("Content-Type: application/octet-stream");
  auto r = perform(c);
  if (r.status != 200) fail(c, r);
  auto id = s3::xml_text(r.body, "UploadId");
  if (id.empty()) throw StorageError(describe(c) + ": the answer carries no UploadId");
  return id;
}

std::string S3Client::upload_part(std::string_view key, const std::string& upload_id,
                                  std::size_t number, std::string_view body) {
  auto part = std::to_string(number);
  auto c =
      call("UploadPart", key, Method::kPut,
           s3::object_url(settings_, key, {{"partNumber", part}, {"uploadId", upload_id}}), true);
  c.http.body = body;
  auto r = perform(c);
  if (r.status != 200) fail(c, r);
  auto etag = r.header("ETag");
  if (!etag || etag->empty()) throw StorageError(describe(c) + ": part " + part + " got no ETag");
  parts_uploaded_.fetch_add(1, std::memory_order_relaxed);
  return std::string(*etag);
}

void S3Client::complete_upload(std::string_view key, const std::string& upload_id,
                               const std::vector<std::string>& etags) {
  auto xml = s3::complete_upload_document(etags);
  auto c = call("CompleteMultipartUpload", key, Method::kPost,
                s3::object_url(settings_, key, {{"uploadId", upload_id}}), true);
  c.http.body = std::string_view(xml);
  c.http.headers.push_back("Content-Type: application/xml");
  auto r = perform(c);
  if (r.status != 200 || !s3::upload_completed(r.body)) fail(c, r);
  multipart_completed_.fetch_add(1, std::memory_order_relaxed);
}

void S3Client::abort_upload(std::string_view key, const std::string& upload_id) noexcept {
  aborts_attempted_.fetch_add(1, std::memory_order_relaxed);
  try {
    auto c = call("AbortMultipartUpload", key, Method::kDelete,
                  s3::object_url(settings_, key, {{"uploadId", upload_id}}));
    auto r = perform(c);
    if (r.status == 204 || r.status == 200 || r.status == 404) return;
  } catch (...) {
  }
  aborts_failed_.fetch_add(1, std::memory_order_relaxed);
}

std::size_t S3Client::get_range(std::string_view key, std::uint64_t offset, std::span<char> out) {
  auto c =
      call("GetObject", key, Method::kGet, s3::object_url(settings_, key), out.size() > kSmallRead);
  c.http.headers.push_back("Range: bytes=" + std::to_string(offset) + "-" +
                           std::to_string(offset + out.size() - 1));
  std::uint64_t skip = 0;
  std::size_t filled = 0;
  bool past_end = false;
  bool bad_range = false;
  std::string content_range;
  c.http.on_headers = [&](const http_client::Response& r) {
    skip = 0;
    filled = 0;
    past_end = bad_range = false;
    content_range = std::string(r.header("Content-Range").value_or(""));
    if (r.status == 200) {  // the range was ignored: the whole object follows
      skip = offset;
    } else if (r.status == 206) {
      auto range = parse_content_range(content_range);
      // Some servers (s3rver) answer a range on an empty object with
      // "bytes 0-0/0", Content-Length 1 and no body: nothing to read.
      if (range.total && offset >= *range.total) {
        past_end = true;
        return false;
      }
      if (range.first) {
        if (*range.first > offset) {
          bad_range = true;
          return false;
        }
        skip = offset - *range.first;
      }
    }
    return true;
  };
  c.http.on_body = [&](std::string_view data) {
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip, data.size()));
    data.remove_prefix(n);
    skip -= n;
    auto take = std::min(out.size() - filled, data.size());
    std::memcpy(out.data() + filled, data.data(), take);
    filled += take;
    return take == data.size();  // more than was asked for: stop here
  };
  auto r = perform(c);
  if (bad_range)
    throw StorageError(describe(c) + ": the answer covers another range (" + content_range + ")");
  if (past_end || r.status == 416) return 0;
  if (r.status != 200 && r.status != 206) fail(c, r);
  return filled;
}

std::optional<std::uint64_t> S3Client::head_object(std::string_view key) {
  auto c = call("HeadObject", key, Method::kHead, s3::object_url(settings_, key));
  auto r = perform(c);
  if (r.status == 404) return std::nullopt;
  if (r.status != 200) fail(c, r);
  auto length = r.header("Content-Length");
  auto size = length ? parse_u64(*length) : std::nullopt;
  if (!size) throw StorageError(describe(c) + ": the answer carries no Content-Length");
  return size;
}

void S3Client::delete_object(std::string_view key) {
  auto c = call("DeleteObject", key, Method::kDelete, s3::object_url(settings_, key));
  auto r = perform(c);
  if (r.status != 204 && r.status != 200 && r.status != 404) fail(c, r);
}

void S3Client::head_bucket() {
  auto c = call("HeadBucket", {}, Method::kHead, s3::object_url(settings_, {}));
  c.http.deadline.total = settings_.check_timeout;
  c.http.deadline.connect = std::min(settings_.connect_timeout, settings_.check_timeout);
  c.http.max_attempts = 1;
  auto r = perform(c);
  if (r.status == 404) throw StorageError(describe(c) + ": HTTP 404: the bucket does not exist");
  if (r.status != 200) fail(c, r);
}

void S3Client::create_bucket() {
  auto xml = s3::create_bucket_document(settings_.region);
  auto c = call("CreateBucket", {}, Method::kPut, s3::object_url(settings_, {}));
  c.http.body = std::string_view(xml);
  auto r = perform(c);
  if (r.status == 200) return;
  if (r.status == 409 && s3::xml_text(r.body, "Code") == "BucketAlreadyOwnedByYou") return;
  fail(c, r);
}

S3Counters S3Client::counters() const {
  auto http = http_.counters();
  return {.requests = http.requests,
          .retries = http.retries,
          .parts_uploaded = parts_uploaded_.load(std::memory_order_relaxed),
          .multipart_completed = multipart_completed_.load(std::memory_order_relaxed),
          .aborts_attempted = aborts_attempted_.load(std::memory_order_relaxed),
          .aborts_failed = aborts_failed_.load(std::memory_order_relaxed)};
}

}  // namespace companion::storage
