#pragma once
// A remote speech-to-text service that speaks the OpenAI-compatible
// `POST /v1/audio/transcriptions` (multipart, `verbose_json` with segment
// and word timestamps): each segment is sent as a 16 kHz mono WAV.
//
// The requests go through the engine's http_client::HttpClient: every one
// has a deadline; 408, 429, 5xx, timeouts and connection errors are retried
// with exponential backoff and full jitter; other 4xx are not. The
// client's circuit breaker, shared by the engine's recognisers, opens after
// `breaker_failures` segments in a row found the service down (unreachable,
// timed out, or 408/429/5xx after the retries): for `breaker_cooldown`
// every call fails at once (the job retries later) instead of piling
// requests on it; then one trial call is let through. A refusal (401, 400)
// or an unreadable answer fails the segment but says the service is up.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "infra/asr/recognizer.hpp"
#include "infra/clock/clock.hpp"
#include "infra/http_client/http_client.hpp"

namespace companion::asr {

struct RemoteSettings {
  std::string url;  // base ("https://api.example.com") or the full endpoint
  std::string api_key;
  std::string model = "whisper-1";
  std::string language = "en";
  std::chrono::milliseconds timeout{60'000};
  int attempts = 3;
  std::chrono::milliseconds backoff{500};
  int breaker_failures = 5;
  std::chrono::milliseconds breaker_cooldown{30'000};
  std::size_t max_response = 8 << 20;
};

class RemoteAsrError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RemoteEngine final : public Engine {
 public:
  // Throws std::invalid_argument for a URL that is not http(s). The clock
  // times the circuit breaker's cooldown.
  RemoteEngine(RemoteSettings settings, const Clock& clock);
  std::unique_ptr<Recognizer> recognizer() override;
  std::string name() const override { return "remote:" + settings_.model; }
  std::string language() const override { return settings_.language; }

 private:
  RemoteSettings settings_;
  std::string endpoint_;
  http_client::HttpClient client_;
};

// A 16 kHz mono 16-bit PCM WAV file of the samples.
std::string wav_file(std::span<const std::int16_t> pcm, int sample_rate = 16000);
// The recogniser's reading of a verbose_json answer (words, times in the
// segment, confidence from the segment's avg_logprob).
Recognition parse_verbose_json(std::string_view body);

}  // namespace companion::asr
