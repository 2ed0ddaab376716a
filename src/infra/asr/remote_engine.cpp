#include "infra/asr/remote_engine.hpp"

#include "infra/media/decoder.hpp"

#include <curl/curl.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>

namespace companion::asr {
namespace {

void put_le(std::string& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

bool retryable_status(long status) {
  return status == 408 || status == 429 || status >= 500;
}

// The service's own message from {"error": {"message": …}}, or the body.
std::string service_message(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (!ec && v.is_object())
    if (auto* e = v.as_object().if_contains("error"); e && e->is_object())
      if (auto* m = e->as_object().if_contains("message"); m && m->is_string())
        return std::string(m->get_string());
  return body.substr(0, 200);
}

class RemoteRecognizer final : public Recognizer {
 public:
  RemoteRecognizer(const RemoteSettings& s, const std::string& endpoint,
                   std::shared_ptr<CircuitBreaker> breaker)
      : s_(s), endpoint_(endpoint), breaker_(std::move(breaker)), curl_(curl_easy_init()) {
    if (!curl_) throw RemoteAsrError("cannot create an HTTP client");
  }

  Recognition recognize(std::span<const std::int16_t> pcm) override {
    if (pcm.empty()) return {};
    if (!breaker_->allow())
      throw RemoteAsrError(
          "the speech recognition service is unavailable (it failed repeatedly; trying again "
          "shortly)");
    auto wav = wav_file(pcm);
    std::string last_error;
    for (int attempt = 1; attempt <= s_.attempts; ++attempt) {
      if (attempt > 1) {
        auto ceiling = s_.backoff.count() << std::min(attempt - 2, 10);
        std::uniform_int_distribution<long long> pick(0, ceiling);
        pause(std::chrono::milliseconds(pick(random_)));
      }
      if (cancelled()) throw media::DecodeCancelled();
      long status = 0;
      std::string body;
      CURLcode rc = post(wav, status, body);
      if (rc == CURLE_ABORTED_BY_CALLBACK) throw media::DecodeCancelled();
      if (rc == CURLE_OK && status == 200) {
        try {
          auto r = parse_verbose_json(body);
          breaker_->succeeded();
          return r;
        } catch (const std::exception& e) {
          last_error =
              std::string("the speech recognition service's answer could not be read: ") + e.what();
          break;  // the same question gets the same answer
        }
      }
      if (rc != CURLE_OK) {
        last_error = rc == CURLE_OPERATION_TIMEDOUT
                         ? "the speech recognition service did not answer within " +
                               std::to_string(s_.timeout.count()) + " ms"
                         : std::string("the speech recognition service could not be reached: ") +
                               curl_easy_strerror(rc);
        if (rc == CURLE_WRITE_ERROR) break;  // answer over the size limit
        continue;
      }
      last_error = "the speech recognition service answered " + std::to_string(status) + ": " +
                   service_message(body);
      if (!retryable_status(status)) {
        breaker_->failed();
        throw RemoteAsrError(last_error + " (not retried)");
      }
    }
    breaker_->failed();
    throw RemoteAsrError(last_error);
  }

 private:
  // The backoff between tries, cut short by a cancel.
  void pause(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!cancelled() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          until - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
  }
  // libcurl asks about every second and on every transfer: non-zero aborts.
  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<RemoteRecognizer*>(user)->cancelled() ? 1 : 0;
  }
  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* user) {
    auto* self = static_cast<RemoteRecognizer*>(user);
    if (self->response_->size() + size * n > self->s_.max_response) return 0;  // abort
    self->response_->append(data, size * n);
    return size * n;
  }

  CURLcode post(const std::string& wav, long& status, std::string& body) {
    CURL* c = curl_.get();
    curl_easy_reset(c);
    std::unique_ptr<curl_mime, decltype(&curl_mime_free)> form(curl_mime_init(c), curl_mime_free);
    auto field = [&](const char* name, const std::string& value) {
      auto* part = curl_mime_addpart(form.get());
      curl_mime_name(part, name);
      curl_mime_data(part, value.data(), value.size());
    };
    auto* file = curl_mime_addpart(form.get());
    curl_mime_name(file, "file");
    curl_mime_filename(file, "segment.wav");
    curl_mime_type(file, "audio/wav");
    curl_mime_data(file, wav.data(), wav.size());
    field("model", s_.model);
    field("response_format", "verbose_json");
    field("timestamp_granularities[]", "word");
    field("timestamp_granularities[]", "segment");
    if (!s_.language.empty()) field("language", s_.language);

    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr,
                                                                        curl_slist_free_all);
    auto auth = "Authorization: Bearer " + s_.api_key;
    if (!s_.api_key.empty()) headers.reset(curl_slist_append(nullptr, auth.c_str()));
    headers.reset(curl_slist_append(headers.release(), "Accept: application/json"));

    response_ = &body;
    curl_easy_setopt(c, CURLOPT_URL, endpoint_.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, form.get());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(s_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<long long>(s_.timeout.count(), 10'000)));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &RemoteRecognizer::on_write);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &RemoteRecognizer::on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
    auto rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    response_ = nullptr;
    return rc;
  }

  const RemoteSettings& s_;
  const std::string& endpoint_;
  std::shared_ptr<CircuitBreaker> breaker_;
  std::unique_ptr<CURL, CurlFree> curl_;
  std::string* response_ = nullptr;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace

bool CircuitBreaker::allow() {
  std::lock_guard lock(m_);
  if (failures_ < threshold_) return true;
  auto now = std::chrono::steady_clock::now();
  if (now < open_until_) return false;
  open_until_ = now + cooldown_;  // one trial; others wait for its outcome
  return true;
}

void CircuitBreaker::succeeded() {
  std::lock_guard lock(m_);
  failures_ = 0;
}

void CircuitBreaker::failed() {
  std::lock_guard lock(m_);
  if (++failures_ >= threshold_) open_until_ = std::chrono::steady_clock::now() + cooldown_;
}

RemoteEngine::RemoteEngine(RemoteSettings settings)
    : settings_(std::move(settings)),
      breaker_(std::make_shared<CircuitBreaker>(settings_.breaker_failures,
                                                settings_.breaker_cooldown)) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) throw std::runtime_error("cannot initialise libcurl");
  auto parsed = boost::urls::parse_uri(settings_.url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https"))
    throw std::invalid_argument("the ASR URL must be http(s)://host[:port][/path]");
  endpoint_ = settings_.url;
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  if (endpoint_.find("/audio/transcriptions") == std::string::npos)
    endpoint_ += endpoint_.ends_with("/v1") ? "/audio/transcriptions" : "/v1/audio/transcriptions";
}

std::unique_ptr<Recognizer> RemoteEngine::recognizer() {
  return std::make_unique<RemoteRecognizer>(settings_, endpoint_, breaker_);
}

std::string wav_file(std::span<const std::int16_t> pcm, int sample_rate) {
  const auto data = static_cast<std::uint32_t>(pcm.size() * 2);
  std::string out;
  out.reserve(44 + data);
  out += "RIFF";
  put_le(out, 36 + data, 4);
  out += "WAVEfmt ";
  put_le(out, 16, 4);
  put_le(out, 1, 2);  // PCM
  put_le(out, 1, 2);  // mono
  put_le(out, static_cast<std::uint32_t>(sample_rate), 4);
  put_le(out, static_cast<std::uint32_t>(sample_rate * 2), 4);
  put_le(out, 2, 2);
  put_le(out, 16, 2);
  out += "data";
  put_le(out, data, 4);
  for (auto s : pcm) put_le(out, static_cast<std::uint16_t>(s), 2);
  return out;
}

Recognition parse_verbose_json(std::string_view body) {
  auto value = boost::json::parse(body);
  const auto& o = value.as_object();
  auto number = [](const boost::json::value& v) { return v.to_number<double>(); };
  struct Span {
    double start, end, confidence;
  };
  std::vector<Span> spans;
  if (auto* segments = o.if_contains("segments"); segments && segments->is_array()) {
    for (const auto& s : segments->get_array()) {
      const auto& so = s.as_object();
      double confidence = 1.0;
      if (auto* lp = so.if_contains("avg_logprob"); lp && lp->is_number())
        confidence = std::clamp(std::exp(number(*lp)), 0.0, 1.0);
      spans.push_back({number(so.at("start")), number(so.at("end")), confidence});
    }
  }
  auto confidence_at = [&](double t) {
    for (const auto& s : spans)
      if (t >= s.start - 1e-6 && t <= s.end + 1e-6) return s.confidence;
    return spans.empty() ? 1.0 : spans.front().confidence;
  };
  Recognition r;
  if (auto* words = o.if_contains("words"); words && words->is_array()) {
    for (const auto& w : words->get_array()) {
      const auto& wo = w.as_object();
      std::string text(wo.at("word").as_string());
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.erase(0, 1);
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.pop_back();
      if (text.empty()) continue;
      double start = number(wo.at("start")), end = number(wo.at("end"));
      r.words.push_back({text, start, std::max(start, end), confidence_at(start)});
    }
  }
  for (const auto& w : r.words) r.text += (r.text.empty() ? "" : " ") + w.text;
  if (r.words.empty())
    if (auto* text = o.if_contains("text"); text && text->is_string()) {
      // No word times: the segment's text, spread evenly over its span.
      std::string all(text->get_string());
      std::vector<std::string> tokens;
      std::string t;
      for (char c : all + " ") {
        if (std::isspace(static_cast<unsigned char>(c))) {
          if (!t.empty()) tokens.push_back(std::move(t));
          t.clear();
        } else {
          t += c;
        }
      }
      double start = spans.empty() ? 0 : spans.front().start;
      double end = spans.empty() ? 0 : spans.back().end;
      double step = tokens.empty() ? 0 : (end - start) / double(tokens.size());
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        double ws = start + step * double(i);
        r.words.push_back({tokens[i], ws, ws + step, confidence_at(ws)});
        r.text += (r.text.empty() ? "" : " ") + tokens[i];
      }
    }
  return r;
}

}  // namespace companion::asr
