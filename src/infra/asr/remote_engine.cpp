#include "infra/asr/remote_engine.hpp"

#include "infra/media/decoder.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cmath>

namespace companion::asr {
namespace {

void put_le(std::string& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
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
                   http_client::HttpClient& client)
      : s_(s), endpoint_(endpoint), client_(client) {}

  Recognition recognize(std::span<const std::int16_t> pcm) override {
    if (pcm.empty()) return {};
    auto request = transcription_request(wav_file(pcm));
    auto response = client_.perform(request);
    switch (response.failure) {
      case http_client::Failure::kNone:
        break;
      case http_client::Failure::kCancelled:
        throw media::DecodeCancelled();
      case http_client::Failure::kCircuitOpen:
        throw RemoteAsrError(
            "the speech recognition service is unavailable (it failed repeatedly; trying again "
            "shortly)");
      case http_client::Failure::kTimedOut:
        throw RemoteAsrError("the speech recognition service did not answer within " +
                             std::to_string(s_.timeout.count()) + " ms");
      case http_client::Failure::kTooLarge:
        throw RemoteAsrError("the speech recognition service's answer is larger than " +
                             std::to_string(s_.max_response) + " bytes");
      default:
        throw RemoteAsrError("the speech recognition service could not be reached: " +
                             response.error);
    }
    if (response.status == 200) {
      try {
        return parse_verbose_json(response.body);
      } catch (const std::exception& e) {
        throw RemoteAsrError(
            std::string("the speech recognition service's answer could not be read: ") + e.what());
      }
    }
    auto message = "the speech recognition service answered " + std::to_string(response.status) +
                   ": " + service_message(response.body);
    if (!http_client::retryable_status(response.status)) message += " (not retried)";
    throw RemoteAsrError(message);
  }

 private:
  http_client::Request transcription_request(std::string wav) {
    http_client::Form form{{.name = "file",
                            .data = std::move(wav),
                            .filename = "segment.wav",
                            .content_type = "audio/wav"},
                           {.name = "model", .data = s_.model},
                           {.name = "response_format", .data = "verbose_json"},
                           {.name = "timestamp_granularities[]", .data = "word"},
                           {.name = "timestamp_granularities[]", .data = "segment"}};
    if (!s_.language.empty()) form.push_back({.name = "language", .data = s_.language});
    http_client::Request r{.method = http_client::Method::kPost,
                           .url = endpoint_,
                           .headers = {"Accept: application/json"},
                           .body = std::move(form),
                           .deadline = {.connect = std::min<std::chrono::milliseconds>(
                                            s_.timeout, std::chrono::seconds(10)),
                                        .total = s_.timeout},
                           .body_limit = s_.max_response,
                           .cancelled = [this] { return cancelled(); }};
    if (!s_.api_key.empty()) r.headers.push_back("Authorization: Bearer " + s_.api_key);
    return r;
  }

  const RemoteSettings& s_;
  const std::string& endpoint_;
  http_client::HttpClient& client_;
};

}  // namespace

RemoteEngine::RemoteEngine(RemoteSettings settings, const Clock& clock)
    : settings_(std::move(settings)),
      client_({.retry = {.max_attempts = settings_.attempts,
                         .base_backoff = settings_.backoff,
                         .max_backoff = settings_.backoff * 1024,
                         .retry_timeouts = true},
               .breaker = http_client::BreakerSettings{.failures = settings_.breaker_failures,
                                                       .cooldown = settings_.breaker_cooldown}},
              clock) {
  endpoint_ = http_client::api_endpoint(settings_.url, "audio/transcriptions", "ASR");
}

std::unique_ptr<Recognizer> RemoteEngine::recognizer() {
  return std::make_unique<RemoteRecognizer>(settings_, endpoint_, client_);
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
      // Times a transcript can hold: finite, from 0, not running backwards.
      double start = number(so.at("start")), end = number(so.at("end"));
      if (!std::isfinite(start) || !std::isfinite(end)) continue;
      start = std::max(0.0, start);
      spans.push_back({start, std::max(start, end), confidence});
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
      if (!std::isfinite(start) || !std::isfinite(end)) continue;
      start = std::max(0.0, start);
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
      double end = spans.empty() ? 0 : std::max(start, spans.back().end);
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
