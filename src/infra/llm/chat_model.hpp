#pragma once
// A language model behind an OpenAI-compatible chat completions API
// (POST {url}/v1/chat/completions), asked for a reply that follows a JSON
// schema (response_format json_schema, strict). Calls go through the shared
// outgoing HTTP client: a deadline per try, retries on 429 and 5xx with
// backoff, and a circuit breaker. Nothing is sent anywhere unless an
// operator configured the URL.
#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "infra/clock/clock.hpp"
#include "infra/http_client/http_client.hpp"

namespace companion::llm {

// The model's answer: its content (the JSON text), or why there is none.
struct ChatReply {
  std::optional<std::string> content;
  std::string error;
};

class ChatModel {
 public:
  virtual ~ChatModel() = default;
  // Blocks: run it on a blocking pool.
  virtual ChatReply complete(const std::string& system, const std::string& user,
                             const std::string& schema_name, const boost::json::object& schema) = 0;
  virtual std::string name() const = 0;
};

struct ChatSettings {
  std::string url;  // base ("https://api.example.com") or the full endpoint
  std::string api_key;
  std::string model = "gpt-4o-mini";
  std::chrono::milliseconds timeout{60'000};
  int attempts = 3;
  std::chrono::milliseconds backoff{500};
  int breaker_failures = 5;
  std::chrono::milliseconds breaker_cooldown{30'000};
  std::size_t max_response = 1 << 20;
};

class ChatCompletions final : public ChatModel {
 public:
  // Throws std::invalid_argument for a URL that is not http(s). The clock
  // times the circuit breaker's cooldown.
  ChatCompletions(ChatSettings settings, const Clock& clock);
  ChatReply complete(const std::string& system, const std::string& user,
                     const std::string& schema_name, const boost::json::object& schema) override;
  std::string name() const override { return settings_.model; }

 private:
  ChatSettings settings_;
  http_client::HttpClient client_;
  std::string endpoint_;
};

// The content of a chat.completion answer, or why it has none (a refusal,
// no choices, not JSON).
ChatReply parse_chat_completion(std::string_view body);

}  // namespace companion::llm
