#include "infra/storage/s3_blob_store.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "infra/crypto/encoding.hpp"

namespace companion::storage {
namespace {

constexpr std::size_t kMinPartSize = 5 * 1024 * 1024;
constexpr std::size_t kMaxParts = 10'000;
constexpr std::size_t kKeptBodyLimit = 64 * 1024;  // error documents and XML results
constexpr std::size_t kIdleHandles = 8;
constexpr long kLowSpeedLimit = 1024;  // bytes per second
constexpr std::size_t kAdoptChunk = 1024 * 1024;
// SHA-256 of the empty payload, for requests without a body.
constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

void ensure_curl_initialized() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK)
    throw StorageError(std::string("cannot initialise libcurl: ") + curl_easy_strerror(rc));
}

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// S3's bucket naming rules (the strict, DNS-compatible ones).
bool valid_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  if (!is_lower_alnum(b.front()) || !is_lower_alnum(b.back())) return false;
  if (b.find("..") != std::string_view::npos) return false;
  return std::all_of(b.begin(), b.end(),
                     [](char c) { return is_lower_alnum(c) || c == '.' || c == '-'; });
}

bool valid_region(std::string_view r) {
  return !r.empty() && r.size() <= 64 &&
         std::all_of(r.begin(), r.end(), [](char c) { return is_lower_alnum(c) || c == '-'; });
}

// "http(s)://host[:port]" with nothing else.
std::string parse_endpoint(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  const char* kHint =
      "storage URL: endpoint must be http(s)://host[:port], e.g. http://127.0.0.1:9000";
  if (!parsed) throw std::invalid_argument(kHint);
  auto u = *parsed;
  if (u.scheme_id() != boost::urls::scheme::http && u.scheme_id() != boost::urls::scheme::https)
    throw std::invalid_argument(kHint);
  if (!u.has_authority() || u.encoded_host().empty()) throw std::invalid_argument(kHint);
  if (u.has_userinfo())
    throw std::invalid_argument(
        "storage URL: endpoint must not carry credentials; set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY");
  if (!(u.encoded_path().empty() || u.encoded_path() == "/") || u.has_query() || u.has_fragment())
    throw std::invalid_argument("storage URL: endpoint must have no path, query or fragment");
  return std::string(u.scheme()) + "://" + std::string(u.encoded_host_and_port());
}

// Percent-encodes everything but RFC 3986 unreserved characters, as SigV4's
// canonical query string expects.
std::string query_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string xml_unescape(std::string_view s) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&') {
      for (auto [entity, c] : kEntities) {
        if (s.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

// The text of the first <tag>...</tag> in an S3 XML document (they are flat
// enough for this), or "" when absent.
std::string xml_text(std::string_view doc, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  auto b = doc.find(open);
  if (b == std::string_view::npos) return {};
  b += open.size();
  auto e = doc.find(close, b);
  if (e == std::string_view::npos) return {};
  return xml_unescape(doc.substr(b, e - b));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

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

bool retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool connection_failure(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

void backoff(int attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  auto base = std::chrono::milliseconds(100) * (1 << (2 * (attempt - 1)));  // 100 ms, 400 ms, ...
  std::uniform_int_distribution<long> jitter(0, base.count() / 2);
  std::this_thread::sleep_for(base + std::chrono::milliseconds(jitter(rng)));
}

// ---------------------------------------------------------------------------
// The HTTP side: signed requests with deadlines and retries.

struct HttpResponse {
  long status = 0;
  std::string body;  // kept for non-2xx answers and when no on_body sink is set
  std::string etag;
  std::string content_range;
  std::optional<std::uint64_t> content_length;
  bool stopped = false;  // a callback ended the transfer on purpose
};

struct HttpRequest {
  const char* operation = "";  // the S3 API name, for messages
  std::string_view key;        // empty for bucket operations
  const char* method = "GET";
  std::string target;     // "/bucket/key?query", already encoded
  std::string_view body;  // PUT and POST payload
  std::vector<std::string> headers;
  std::chrono::milliseconds timeout{};
  std::chrono::milliseconds connect_timeout{};
  int attempts = 1;
  // Runs once the final response's headers are in (again on a retry);
  // returning false ends the transfer.
  std::function<bool(const HttpResponse&)> on_headers;
  // Receives a 2xx response's body; returning false ends the transfer.
  std::function<bool(std::string_view)> on_body;
};

}  // namespace

class S3Client {
 public:
  explicit S3Client(S3Settings s) : settings_(std::move(s)) {
    ensure_curl_initialized();
    sigv4_ = "aws:amz:" + settings_.region + ":s3";
  }
  ~S3Client() {
    for (auto* h : idle_) curl_easy_cleanup(h);
  }
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Settings& settings() const { return settings_; }

  std::string object_target(std::string_view key) const {
    return "/" + settings_.bucket + "/" + std::string(key);
  }

  HttpRequest request(const char* operation, std::string_view key, const char* method,
                      std::string target, bool transfer = false) const {
    HttpRequest r;
    r.operation = operation;
    r.key = key;
    r.method = method;
    r.target = std::move(target);
    r.timeout = transfer ? settings_.transfer_timeout : settings_.request_timeout;
    r.connect_timeout = settings_.connect_timeout;
    r.attempts = settings_.max_attempts;
    return r;
  }

  std::string describe(const HttpRequest& r) const {
    return "S3 " + std::string(r.operation) + " " +
           (r.key.empty() ? "bucket " + settings_.bucket : std::string(r.key));
  }

  [[noreturn]] void fail(const HttpRequest& r, const HttpResponse& resp) const {
    std::string msg = describe(r) + ": HTTP " + std::to_string(resp.status);
    auto code = xml_text(resp.body, "Code");
    auto text = xml_text(resp.body, "Message");
    if (!code.empty()) msg += " " + code;
    if (!text.empty()) msg += ": " + text;
    throw StorageError(msg);
  }

  HttpResponse perform(const HttpRequest& req) {
    for (int attempt = 1;; ++attempt) {
      Transfer t{req, {}, 0};
      char errbuf[CURL_ERROR_SIZE] = {0};
      CURLcode rc;
      bool never_sent = false;
      {
        Handle h(*this);
        std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr,
                                                                            curl_slist_free_all);
        auto add_header = [&](const std::string& line) {
          auto* next = curl_slist_append(headers.get(), line.c_str());
          if (!next) throw StorageError("out of memory building an S3 request");
          headers.release();
          headers.reset(next);
        };
        // curl 7.88 signs with the payload hash it finds in this header
        // (and sends none by itself, which S3 requires).
        add_header("x-amz-content-sha256: " + (!req.body.empty()
                                                   ? crypto::hex_encode(crypto::sha256(req.body))
                                                   : std::string(kEmptyPayloadSha256)));
        for (const auto& line : req.headers) add_header(line);

        CURL* c = h.get();
        auto url = settings_.endpoint + req.target;
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4_.c_str());
        curl_easy_setopt(c, CURLOPT_USERNAME, settings_.access_key_id.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.secret_access_key.c_str());
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(req.connect_timeout.count()));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedLimit);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                         static_cast<long>(settings_.low_speed_time.count()));
        curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Transfer::on_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);

        std::string_view method = req.method;
        if (method == "HEAD") {
          curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else if (method == "PUT") {
          curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
          curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
          curl_easy_setopt(c, CURLOPT_READFUNCTION, &Transfer::on_read);
          curl_easy_setopt(c, CURLOPT_READDATA, &t);
          curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, &Transfer::on_seek);
          curl_easy_setopt(c, CURLOPT_SEEKDATA, &t);
        } else if (method == "POST") {
          curl_easy_setopt(c, CURLOPT_POST, 1L);
          curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(req.body.size()));
          curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.empty() ? "" : req.body.data());
        } else if (method != "GET") {
          curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method);
        }

        rc = curl_easy_perform(c);
        long request_bytes = 0;  // 0: the request never went out (connecting timed out)
        curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &request_bytes);
        never_sent = request_bytes == 0;
      }
      requests_.fetch_add(1, std::memory_order_relaxed);

      bool more = attempt < req.attempts;
      if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && t.resp.stopped)) {
        if (!t.resp.stopped && retryable_status(t.resp.status) && more) {
          retry(attempt);
          continue;
        }
        return std::move(t.resp);
      }
      bool timed_out = rc == CURLE_OPERATION_TIMEDOUT;
      if ((connection_failure(rc) || (timed_out && never_sent)) && more) {
        retry(attempt);
        continue;
      }
      std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
      throw StorageError(describe(req) + (timed_out ? ": timed out: " : ": request failed: ") +
                         detail + " (endpoint " + settings_.endpoint + ", " +
                         std::to_string(attempt) + (attempt == 1 ? " attempt)" : " attempts)"));
    }
  }

  // --- operations -----------------------------------------------------------

  void put_object(std::string_view key, std::string_view body) {
    auto req = request("PutObject", key, "PUT", object_target(key), true);
    req.body = body;
    req.headers.push_back("Content-Type: application/octet-stream");
    auto resp = perform(req);
    if (resp.status != 200) fail(req, resp);
  }

  std::string create_upload(std::string_view key) {
    auto req = request("CreateMultipartUpload", key, "POST", object_target(key) + "?uploads=");
    req.headers.push_back("Content-Type: application/octet-stream");
    auto resp = perform(req);
    if (resp.status != 200) fail(req, resp);
    auto id = xml_text(resp.body, "UploadId");
    if (id.empty()) throw StorageError(describe(req) + ": the answer carries no UploadId");
    return id;
  }

  std::string upload_part(std::string_view key, const std::string& upload_id, std::size_t number,
                          std::string_view body) {
    // Query parameters in canonical (sorted) order: curl 7.88 signs the
    // query string as written.
    auto req = request("UploadPart", key, "PUT",
                       object_target(key) + "?partNumber=" + std::to_string(number) +
                           "&uploadId=" + query_encode(upload_id),
                       true);
    req.body = body;
    auto resp = perform(req);
    if (resp.status != 200) fail(req, resp);
    if (resp.etag.empty())
      throw StorageError(describe(req) + ": part " + std::to_string(number) + " got no ETag");
    parts_uploaded_.fetch_add(1, std::memory_order_relaxed);
    return resp.etag;
  }

  void complete_upload(std::string_view key, const std::string& upload_id,
                       const std::vector<std::string>& etags) {
    std::string xml = "<CompleteMultipartUpload>";
    for (std::size_t i = 0; i < etags.size(); ++i)
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
             xml_escape(etags[i]) + "</ETag></Part>";
    xml += "</CompleteMultipartUpload>";
    auto req = request("CompleteMultipartUpload", key, "POST",
                       object_target(key) + "?uploadId=" + query_encode(upload_id), true);
    req.body = xml;
    req.headers.push_back("Content-Type: application/xml");
    auto resp = perform(req);
    if (resp.status != 200) fail(req, resp);
    // S3 may answer 200 and still fail, with an <Error> document.
    if (resp.body.find("<Error>") != std::string::npos ||
        resp.body.find("CompleteMultipartUploadResult") == std::string::npos)
      fail(req, resp);
    multipart_completed_.fetch_add(1, std::memory_order_relaxed);
  }

  // Best effort: never throws. A failure is counted; the bucket's lifecycle
  // rules (AbortIncompleteMultipartUpload) are the backstop.
  void abort_upload(std::string_view key, const std::string& upload_id) noexcept {
    aborts_attempted_.fetch_add(1, std::memory_order_relaxed);
    try {
      auto req = request("AbortMultipartUpload", key, "DELETE",
                         object_target(key) + "?uploadId=" + query_encode(upload_id));
      auto resp = perform(req);
      if (resp.status == 204 || resp.status == 200 || resp.status == 404) return;
    } catch (...) {
    }
    aborts_failed_.fetch_add(1, std::memory_order_relaxed);
  }

  std::size_t get_range(std::string_view key, std::uint64_t offset, std::span<char> out) {
    // Large ranges get the transfer deadline, small ones the request deadline.
    auto req = request("GetObject", key, "GET", object_target(key), out.size() > kAdoptChunk);
    req.headers.push_back("Range: bytes=" + std::to_string(offset) + "-" +
                          std::to_string(offset + out.size() - 1));
    std::uint64_t skip = 0;
    std::size_t filled = 0;
    bool past_end = false;
    bool bad_range = false;
    req.on_headers = [&](const HttpResponse& r) {
      skip = 0;
      filled = 0;
      past_end = bad_range = false;
      if (r.status == 200) {  // the range was ignored: the whole object follows
        skip = offset;
      } else if (r.status == 206) {
        auto range = parse_content_range(r.content_range);
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
    req.on_body = [&](std::string_view data) {
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip, data.size()));
      data.remove_prefix(n);
      skip -= n;
      auto take = std::min(out.size() - filled, data.size());
      std::memcpy(out.data() + filled, data.data(), take);
      filled += take;
      return take == data.size();  // more than was asked for: stop here
    };
    auto resp = perform(req);
    if (bad_range)
      throw StorageError(describe(req) + ": the answer covers another range (" +
                         resp.content_range + ")");
    if (past_end || resp.status == 416) return 0;
    if (resp.status != 200 && resp.status != 206) fail(req, resp);
    return filled;
  }

  std::optional<std::uint64_t> head_object(std::string_view key) {
    auto req = request("HeadObject", key, "HEAD", object_target(key));
    auto resp = perform(req);
    if (resp.status == 404) return std::nullopt;
    if (resp.status != 200) fail(req, resp);
    if (!resp.content_length)
      throw StorageError(describe(req) + ": the answer carries no Content-Length");
    return resp.content_length;
  }

  void delete_object(std::string_view key) {
    auto req = request("DeleteObject", key, "DELETE", object_target(key));
    auto resp = perform(req);
    if (resp.status != 204 && resp.status != 200 && resp.status != 404) fail(req, resp);
  }

  void head_bucket() {
    auto req = request("HeadBucket", {}, "HEAD", "/" + settings_.bucket);
    req.timeout = settings_.check_timeout;
    req.connect_timeout = std::min(settings_.connect_timeout, settings_.check_timeout);
    req.attempts = 1;
    auto resp = perform(req);
    if (resp.status == 404)
      throw StorageError(describe(req) + ": HTTP 404: the bucket does not exist");
    if (resp.status != 200) fail(req, resp);
  }

  void create_bucket() {
    std::string xml;
    if (settings_.region != "us-east-1")
      xml =
          "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<LocationConstraint>" +
          settings_.region + "</LocationConstraint></CreateBucketConfiguration>";
    auto req = request("CreateBucket", {}, "PUT", "/" + settings_.bucket);
    req.body = xml;
    auto resp = perform(req);
    if (resp.status == 200) return;
    if (resp.status == 409 && xml_text(resp.body, "Code") == "BucketAlreadyOwnedByYou") return;
    fail(req, resp);
  }

  S3Counters counters() const {
    S3Counters c;
    c.requests = requests_.load(std::memory_order_relaxed);
    c.retries = retries_.load(std::memory_order_relaxed);
    c.parts_uploaded = parts_uploaded_.load(std::memory_order_relaxed);
    c.multipart_completed = multipart_completed_.load(std::memory_order_relaxed);
    c.aborts_attempted = aborts_attempted_.load(std::memory_order_relaxed);
    c.aborts_failed = aborts_failed_.load(std::memory_order_relaxed);
    return c;
  }

 private:
  // The state one attempt's callbacks share.
  struct Transfer {
    const HttpRequest& req;
    HttpResponse resp;
    std::size_t sent;

    static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self) {
      auto& t = *static_cast<Transfer*>(self);
      std::size_t len = size * n;
      std::string_view line(data, len);
      if (line.substr(0, 5) == "HTTP/") {  // a new response: 100 Continue, then the real one
        t.resp = HttpResponse{};
        auto sp = line.find(' ');
        if (sp != std::string_view::npos) {
          auto code = parse_u64(line.substr(sp + 1, 3));
          t.resp.status = code ? static_cast<long>(*code) : 0;
        }
        return len;
      }
      line = trim(line);
      if (line.empty()) {  // end of this response's headers
        if (t.resp.status >= 200 && t.req.on_headers && !t.req.on_headers(t.resp)) {
          t.resp.stopped = true;
          return 0;
        }
        return len;
      }
      auto colon = line.find(':');
      if (colon == std::string_view::npos) return len;
      auto name = line.substr(0, colon);
      auto value = trim(line.substr(colon + 1));
      if (iequals(name, "ETag")) {
        t.resp.etag = value;
      } else if (iequals(name, "Content-Range")) {
        t.resp.content_range = value;
      } else if (iequals(name, "Content-Length")) {
        t.resp.content_length = parse_u64(value);
      }
      return len;
    }

    static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* self) {
      auto& t = *static_cast<Transfer*>(self);
      std::size_t len = size * n;
      if (t.resp.status >= 200 && t.resp.status < 300 && t.req.on_body) {
        if (!t.req.on_body({data, len})) {
          t.resp.stopped = true;
          return 0;
        }
        return len;
      }
      if (t.resp.body.size() < kKeptBodyLimit)
        t.resp.body.append(data, std::min(len, kKeptBodyLimit - t.resp.body.size()));
      return len;
    }

    static std::size_t on_read(char* buf, std::size_t size, std::size_t n, void* self) {
      auto& t = *static_cast<Transfer*>(self);
      auto take = std::min(size * n, t.req.body.size() - t.sent);
      if (take > 0) std::memcpy(buf, t.req.body.data() + t.sent, take);
      t.sent += take;
      return take;
    }

    static int on_seek(void* self, curl_off_t offset, int origin) {
      auto& t = *static_cast<Transfer*>(self);
      if (origin != SEEK_SET || offset < 0 || static_cast<std::size_t>(offset) > t.req.body.size())
        return CURL_SEEKFUNC_CANTSEEK;
      t.sent = static_cast<std::size_t>(offset);
      return CURL_SEEKFUNC_OK;
    }
  };

  // An easy handle borrowed from the idle list (keeping its connections).
  class Handle {
   public:
    explicit Handle(S3Client& owner) : owner_(owner) {
      {
        std::lock_guard lock(owner_.mutex_);
        if (!owner_.idle_.empty()) {
          curl_ = owner_.idle_.back();
          owner_.idle_.pop_back();
        }
      }
      if (!curl_) curl_ = curl_easy_init();
      if (!curl_) throw StorageError("cannot create a libcurl handle");
    }
    ~Handle() {
      curl_easy_reset(curl_);
      std::lock_guard lock(owner_.mutex_);
      if (owner_.idle_.size() < kIdleHandles) {
        owner_.idle_.push_back(curl_);
      } else {
        curl_easy_cleanup(curl_);
      }
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    CURL* get() const { return curl_; }

   private:
    S3Client& owner_;
    CURL* curl_ = nullptr;
  };

  void retry(int attempt) {
    retries_.fetch_add(1, std::memory_order_relaxed);
    backoff(attempt);
  }

  const S3Settings settings_;
  std::string sigv4_;
  std::mutex mutex_;
  std::vector<CURL*> idle_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> parts_uploaded_{0};
  std::atomic<std::uint64_t> multipart_completed_{0};
  std::atomic<std::uint64_t> aborts_attempted_{0};
  std::atomic<std::uint64_t> aborts_failed_{0};
};

// ---------------------------------------------------------------------------

namespace {

// Buffers one part; uploads it when the next byte arrives, so an object of
// at most one part is a single PutObject.
class S3Writer final : public BlobWriter {
 public:
  S3Writer(std::shared_ptr<S3Client> client, std::string key)
      : client_(std::move(client)),
        key_(std::move(key)),
        part_size_(client_->settings().part_size) {}
  ~S3Writer() override {
    if (!committed_ && !upload_id_.empty()) client_->abort_upload(key_, upload_id_);
  }

  void write(std::span<const char> data) override {
    ensure_open();
    try {
      while (!data.empty()) {
        if (buffer_.size() == part_size_) flush_part();
        auto n = std::min(part_size_ - buffer_.size(), data.size());
        if (buffer_.capacity() < buffer_.size() + n)  // grow, but never past one part
          buffer_.reserve(
              std::min(part_size_, std::max(2 * buffer_.capacity(), buffer_.size() + n)));
        buffer_.append(data.data(), n);
        data = data.subspan(n);
        written_ += n;
      }
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

  void commit() override {
    ensure_open();
    try {
      if (upload_id_.empty()) {
        client_->put_object(key_, buffer_);
      } else {
        flush_part();
        client_->complete_upload(key_, upload_id_, etags_);
      }
    } catch (...) {
      failed_ = true;
      throw;
    }
    committed_ = true;
    std::string().swap(buffer_);
  }

  std::uint64_t written() const override { return written_; }

 private:
  void ensure_open() const {
    if (committed_) throw std::logic_error("S3 writer for " + key_ + " is already committed");
    if (failed_) throw StorageError("S3 writer for " + key_ + " failed earlier; start again");
  }

  void flush_part() {
    if (etags_.size() >= kMaxParts)
      throw StorageError("S3 UploadPart " + key_ + ": more than " + std::to_string(kMaxParts) +
                         " parts; the object is too large for the part size");
    if (upload_id_.empty()) upload_id_ = client_->create_upload(key_);
    etags_.push_back(client_->upload_part(key_, upload_id_, etags_.size() + 1, buffer_));
    buffer_.clear();
  }

  std::shared_ptr<S3Client> client_;
  std::string key_;
  std::size_t part_size_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  std::uint64_t written_ = 0;
  bool committed_ = false;
  bool failed_ = false;
};

}  // namespace

S3Settings parse_s3_url(const BlobStoreSettings& settings) {
  auto parsed = boost::urls::parse_uri(settings.url);
  if (!parsed || parsed->scheme() != "s3")
    throw std::invalid_argument(
        "storage URL must look like s3://BUCKET?endpoint=http://host:port&region=us-east-1");
  auto u = *parsed;
  if (u.has_userinfo())
    throw std::invalid_argument(
        "storage URL must not carry credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  if (u.has_port()) throw std::invalid_argument("storage URL: s3://BUCKET takes no port");
  if (!(u.encoded_path().empty() || u.encoded_path() == "/") || u.has_fragment())
    throw std::invalid_argument("storage URL: s3://BUCKET takes no path or fragment");

  S3Settings s;
  s.bucket = u.host();
  if (!valid_bucket(s.bucket))
    throw std::invalid_argument("storage URL: bucket name '" + s.bucket +
                                "' is not a valid S3 bucket name (3-63 of a-z 0-9 . -)");
  bool have_endpoint = false, have_region = false, have_path_style = false;
  for (auto param : u.params()) {
    auto once = [&](bool& seen) {
      if (seen)
        throw std::invalid_argument("storage URL: query key '" + param.key + "' is repeated");
      seen = true;
    };
    if (param.key == "endpoint") {
      once(have_endpoint);
      s.endpoint = parse_endpoint(param.value);
    } else if (param.key == "region") {
      once(have_region);
      if (!valid_region(param.value))
        throw std::invalid_argument("storage URL: region '" + param.value + "' is not valid");
      s.region = param.value;
    } else if (param.key == "path_style") {
      once(have_path_style);
      if (param.value != "true")
        throw std::invalid_argument(
            "storage URL: path_style must be true (only path-style addressing is supported)");
    } else {
      throw std::invalid_argument("storage URL: unknown query key '" + param.key +
                                  "' (known: endpoint, region, path_style)");
    }
  }
  if (!have_endpoint)
    throw std::invalid_argument(
        "storage URL: endpoint= is required, e.g. endpoint=https://s3.us-east-1.amazonaws.com");
  if (settings.access_key_id.empty() || settings.secret_access_key.empty())
    throw std::invalid_argument(
        "S3 storage needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  s.access_key_id = settings.access_key_id;
  s.secret_access_key = settings.secret_access_key;
  return s;
}

S3BlobStore::S3BlobStore(S3Settings settings) {
  if (settings.endpoint.empty() || !valid_bucket(settings.bucket) || !valid_region(settings.region))
    throw std::invalid_argument("S3 storage needs an endpoint, a valid bucket and a region");
  if (settings.part_size < kMinPartSize)
    throw std::invalid_argument("S3 part size must be at least 5 MiB");
  if (settings.max_attempts < 1) throw std::invalid_argument("S3 max_attempts must be at least 1");
  client_ = std::make_shared<S3Client>(std::move(settings));
}

S3BlobStore::~S3BlobStore() = default;

std::unique_ptr<BlobWriter> S3BlobStore::create(const std::string& key) {
  validate_key(key);
  return std::make_unique<S3Writer>(client_, key);
}

void S3BlobStore::adopt(const std::string& key, const std::filesystem::path& file) {
  validate_key(key);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StorageError("cannot open " + file.string() + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  S3Writer writer(client_, key);
  std::vector<char> chunk(kAdoptChunk);
  for (;;) {
    auto n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw StorageError("cannot read " + file.string() + ": " + std::strerror(errno));
    if (n == 0) break;
    writer.write({chunk.data(), static_cast<std::size_t>(n)});
  }
  writer.commit();
  std::error_code ec;
  std::filesystem::remove(file, ec);
}

std::size_t S3BlobStore::read(const std::string& key, std::uint64_t offset, std::span<char> out) {
  validate_key(key);
  if (out.empty()) {
    if (!client_->head_object(key))
      throw StorageError("S3 GetObject " + key + ": HTTP 404 NoSuchKey");
    return 0;
  }
  return client_->get_range(key, offset, out);
}

std::optional<std::uint64_t> S3BlobStore::size(const std::string& key) {
  validate_key(key);
  return client_->head_object(key);
}

void S3BlobStore::remove(const std::string& key) {
  validate_key(key);
  client_->delete_object(key);
}

void S3BlobStore::check() {
  client_->head_bucket();
}

void S3BlobStore::create_bucket() {
  client_->create_bucket();
}

S3Counters S3BlobStore::counters() const {
  return client_->counters();
}

}  // namespace companion::storage
