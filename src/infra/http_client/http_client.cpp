#include "infra/http_client/http_client.hpp"

#include <boost/url/parse.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>

namespace companion::http_client {
namespace {

// How long the backoff sleeps between two looks at the cancel check.
constexpr auto kCancelPollInterval = std::chrono::milliseconds(50);

void ensure_curl_initialized() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK)
    throw std::runtime_error(std::string("cannot initialise libcurl: ") + curl_easy_strerror(rc));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Failure failure_of(CURLcode rc) {
  switch (rc) {
    case CURLE_OK:
      return Failure::kNone;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return Failure::kUnreachable;
    case CURLE_OPERATION_TIMEDOUT:
      return Failure::kTimedOut;
    case CURLE_ABORTED_BY_CALLBACK:
      return Failure::kCancelled;
    default:
      return Failure::kOther;
  }
}

// Whether the breaker should count the call against the service.
bool service_failed(const Response& r) {
  switch (r.failure) {
    case Failure::kNone:
      return !r.stopped && retryable_status(r.status);
    case Failure::kCancelled:
    case Failure::kCircuitOpen:
      return false;
    default:
      return true;
  }
}

// Sleeps `d` unless `cancelled` says true first; returns false then.
bool wait_unless_cancelled(std::chrono::milliseconds d, const std::function<bool()>& cancelled) {
  if (!cancelled) {
    std::this_thread::sleep_for(d);
    return true;
  }
  const auto until = std::chrono::steady_clock::now() + d;
  while (!cancelled()) {
    auto left = until - std::chrono::steady_clock::now();
    if (left <= left.zero()) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, kCancelPollInterval));
  }
  return false;
}

std::chrono::milliseconds full_jitter(const RetryPolicy& policy, int retry) {
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<long long> pick(0, backoff_ceiling(policy, retry).count());
  return std::chrono::milliseconds(pick(random));
}

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct MimeFree {
  void operator()(curl_mime* m) const { curl_mime_free(m); }
};

// The state one try's callbacks share.
struct Transfer {
  CURL* curl;
  const Request& request;
  Response response;
  std::string_view memory;  // a body from memory, and how far it was sent
  std::uint64_t memory_sent = 0;
  bool headers_seen = false;

  // The headers of the latest response, through libcurl's header API.
  void take_headers() {
    response.headers.clear();
    curl_header* prev = nullptr;
    while (curl_header* h = curl_easy_nextheader(curl, CURLH_HEADER, -1, prev)) {
      response.headers.emplace_back(h->name, h->value);
      prev = h;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  }

  // Only notices where a response's header block ends; the headers
  // themselves are read with curl_easy_nextheader.
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self) {
    auto& t = *static_cast<Transfer*>(self);
    std::size_t len = size * n;
    bool end_of_block = (len == 2 && data[0] == '\r') || (len == 1 && data[0] == '\n');
    if (!end_of_block) return len;
    long status = 0;
    curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200) return len;  // 100 Continue: the real answer follows
    t.take_headers();
    t.headers_seen = true;
    if (t.request.on_headers && !t.request.on_headers(t.response)) {
      t.response.stopped = true;
      return 0;
    }
    return len;
  }

  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* self) {
    auto& t = *static_cast<Transfer*>(self);
    std::size_t len = size * n;
    auto status = t.response.status;
    if (status >= 200 && status < 300 && t.request.on_body) {
      if (t.request.on_body({data, len})) return len;
      t.response.stopped = true;
      return 0;
    }
    if (t.response.body.size() + len > t.request.body_limit) {
      t.response.failure = Failure::kTooLarge;
      return 0;
    }
    t.response.body.append(data, len);
    return len;
  }

  static std::size_t on_read(char* buf, std::size_t size, std::size_t n, void* self) {
    auto& t = *static_cast<Transfer*>(self);
    std::span<char> out(buf, size * n);
    if (auto* stream = std::get_if<BodyStream>(&t.request.body)) return stream->read(out);
    auto take = std::min<std::uint64_t>(out.size(), t.memory.size() - t.memory_sent);
    std::memcpy(buf, t.memory.data() + t.memory_sent, take);
    t.memory_sent += take;
    return take;
  }

  static int on_seek(void* self, curl_off_t offset, int origin) {
    auto& t = *static_cast<Transfer*>(self);
    if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
    auto to = static_cast<std::uint64_t>(offset);
    if (auto* stream = std::get_if<BodyStream>(&t.request.body))
      return stream->seek && stream->seek(to) ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
    if (to > t.memory.size()) return CURL_SEEKFUNC_CANTSEEK;
    t.memory_sent = to;
    return CURL_SEEKFUNC_OK;
  }

  // libcurl asks at least once a second, and on every transfer.
  static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<Transfer*>(self)->request.cancelled() ? 1 : 0;
  }
};

}  // namespace

std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int retry) {
  auto ceiling = policy.base_backoff;
  for (int i = 1; i < retry && ceiling < policy.max_backoff; ++i) ceiling *= 2;
  return std::min(ceiling, policy.max_backoff);
}

bool retryable_status(long status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599 && status != 501);
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return std::nullopt;
}

// Easy handles kept between calls, with their connections.
class HttpClient::Pool {
 public:
  explicit Pool(std::size_t idle) : idle_limit_(idle) {}
  ~Pool() {
    for (auto* h : idle_) curl_easy_cleanup(h);
  }

  // A handle for one try, back to the pool when it ends.
  class Lease {
   public:
    explicit Lease(Pool& pool) : pool_(pool), curl_(pool.take()) {}
    ~Lease() { pool_.give_back(curl_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    CURL* get() const { return curl_; }

   private:
    Pool& pool_;
    CURL* curl_;
  };

 private:
  CURL* take() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        CURL* c = idle_.back();
        idle_.pop_back();
        return c;
      }
    }
    CURL* c = curl_easy_init();
    if (!c) throw std::runtime_error("cannot create a libcurl handle");
    return c;
  }
  void give_back(CURL* c) {
    curl_easy_reset(c);  // options go; connections and caches stay
    std::lock_guard lock(mutex_);
    if (idle_.size() < idle_limit_) {
      idle_.push_back(c);
    } else {
      curl_easy_cleanup(c);
    }
  }

  const std::size_t idle_limit_;
  std::mutex mutex_;
  std::vector<CURL*> idle_;
};

HttpClient::HttpClient(ClientSettings settings, const Clock& clock)
    : settings_(std::move(settings)), pool_(std::make_unique<Pool>(settings_.idle_handles)) {
  ensure_curl_initialized();
  if (settings_.retry.max_attempts < 1)
    throw std::invalid_argument("HTTP client: max_attempts must be at least 1");
  if (settings_.breaker) breaker_ = std::make_unique<CircuitBreaker>(*settings_.breaker, clock);
}

HttpClient::~HttpClient() = default;

Response HttpClient::perform(const Request& request) {
  if (breaker_ && !breaker_->allow()) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return {.failure = Failure::kCircuitOpen, .error = "the circuit breaker is open"};
  }
  const int attempts = request.max_attempts.value_or(settings_.retry.max_attempts);
  auto* stream = std::get_if<BodyStream>(&request.body);
  Response response;
  for (int attempt = 1;; ++attempt) {
    if (request.cancelled && request.cancelled()) {
      response = {.failure = Failure::kCancelled, .error = "cancelled"};
    } else if (attempt > 1 && stream && !(stream->seek && stream->seek(0))) {
      break;  // the body cannot be sent again: the last try's outcome stands
    } else {
      response = this->attempt(request);
    }
    response.attempts = attempt;
    bool again = response.ok() ? !response.stopped && retryable_status(response.status)
                               : response.failure == Failure::kUnreachable ||
                                     (response.failure == Failure::kTimedOut &&
                                      (settings_.retry.retry_timeouts || !response.sent));
    if (!again || attempt >= attempts) break;
    retries_.fetch_add(1, std::memory_order_relaxed);
    if (!wait_unless_cancelled(full_jitter(settings_.retry, attempt), request.cancelled)) {
      response = {.failure = Failure::kCancelled, .error = "cancelled", .attempts = attempt};
      break;
    }
  }
  if (breaker_) {
    if (service_failed(response)) {
      breaker_->failed();
    } else if (response.failure != Failure::kCancelled) {
      breaker_->succeeded();
    }
  }
  return response;
}

Response HttpClient::attempt(const Request& request) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  Pool::Lease lease(*pool_);
  CURL* c = lease.get();
  Transfer t{c, request, {}};
  char errbuf[CURL_ERROR_SIZE] = {0};

  std::unique_ptr<curl_slist, SlistFree> headers;
  for (const auto& line : request.headers) {
    auto* next = curl_slist_append(headers.get(), line.c_str());
    if (!next) throw std::runtime_error("out of memory building an HTTP request");
    headers.release();
    headers.reset(next);
  }

  std::unique_ptr<curl_slist, SlistFree> pins;
  for (const auto& line : request.resolve) {
    auto* next = curl_slist_append(pins.get(), line.c_str());
    if (!next) throw std::runtime_error("out of memory building an HTTP request");
    pins.release();
    pins.reset(next);
  }
  // Set (or cleared) on every use: the handle is pooled, and a pin left
  // from another request must not hold.
  curl_easy_setopt(c, CURLOPT_RESOLVE, pins.get());
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.deadline.connect.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.deadline.total.count()));
  if (request.deadline.low_speed_time.count() > 0) {
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, request.deadline.low_speed_bytes);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(request.deadline.low_speed_time.count()));
  }
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Transfer::on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  if (request.cancelled) {
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &Transfer::on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  }
  if (request.aws_sigv4) {
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, request.aws_sigv4->provider.c_str());
    curl_easy_setopt(c, CURLOPT_USERNAME, request.aws_sigv4->access_key_id.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, request.aws_sigv4->secret_access_key.c_str());
  }

  // The body: a form as MIME; bytes and streams through the read callback
  // (with seek, so libcurl can send them again itself when it must).
  std::unique_ptr<curl_mime, MimeFree> mime;
  if (auto* form = std::get_if<Form>(&request.body)) {
    mime.reset(curl_mime_init(c));
    for (const auto& field : *form) {
      auto* part = curl_mime_addpart(mime.get());
      curl_mime_name(part, field.name.c_str());
      curl_mime_data(part, field.data.data(), field.data.size());
      if (!field.filename.empty()) curl_mime_filename(part, field.filename.c_str());
      if (!field.content_type.empty()) curl_mime_type(part, field.content_type.c_str());
    }
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime.get());
  } else if (request.method == Method::kPut || request.method == Method::kPost ||
             request.method == Method::kPatch ||
             !std::holds_alternative<std::monostate>(request.body)) {
    std::uint64_t size = 0;
    if (auto* bytes = std::get_if<std::string_view>(&request.body)) {
      t.memory = *bytes;
      size = bytes->size();
    } else if (auto* stream = std::get_if<BodyStream>(&request.body)) {
      size = stream->size;
    }
    if (request.method == Method::kPut) {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    } else {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(size));
    }
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &Transfer::on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, &Transfer::on_seek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &t);
  }
  switch (request.method) {
    case Method::kHead:
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
      break;
    case Method::kDelete:
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
      break;
    case Method::kPatch:
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
      break;
    default:
      break;
  }

  CURLcode rc = curl_easy_perform(c);
  if (!t.headers_seen) t.take_headers();  // a failure before the headers ended
  t.response.sent = true;
  if (rc == CURLE_WRITE_ERROR && (t.response.stopped || t.response.failure == Failure::kTooLarge)) {
    if (t.response.failure == Failure::kTooLarge)
      t.response.error =
          "the response is larger than " + std::to_string(request.body_limit) + " bytes";
    return std::move(t.response);
  }
  long request_bytes = 0;
  curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &request_bytes);
  t.response.sent = request_bytes > 0;
  t.response.failure = failure_of(rc);
  if (rc != CURLE_OK) t.response.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  return std::move(t.response);
}

ClientCounters HttpClient::counters() const {
  return {.requests = requests_.load(std::memory_order_relaxed),
          .retries = retries_.load(std::memory_order_relaxed),
          .refused = refused_.load(std::memory_order_relaxed)};
}

std::string api_endpoint(const std::string& url, std::string_view path, std::string_view what) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https"))
    throw std::invalid_argument("the " + std::string(what) +
                                " URL must be http(s)://host[:port][/path]");
  auto endpoint = url;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.find("/" + std::string(path)) == std::string::npos)
    endpoint += (endpoint.ends_with("/v1") ? "/" : "/v1/") + std::string(path);
  return endpoint;
}

}  // namespace companion::http_client
