#include <boost/json.hpp>

#include <stdexcept>

#include "infra/llm/chat_model.hpp"

namespace companion::llm {

ChatCompletions::ChatCompletions(ChatSettings settings, const Clock& clock)
    : settings_(std::move(settings)),
      client_({.retry = {.max_attempts = settings_.attempts,
                         .base_backoff = settings_.backoff,
                         .max_backoff = settings_.backoff * 64,
                         .retry_timeouts = false},  // a slow model is not asked twice at once
               .breaker = http_client::BreakerSettings{.failures = settings_.breaker_failures,
                                                       .cooldown = settings_.breaker_cooldown}},
              clock),
      endpoint_(http_client::api_endpoint(settings_.url, "chat/completions", "LLM")) {}

ChatReply ChatCompletions::complete(const std::string& system, const std::string& user,
                                    const std::string& schema_name,
                                    const boost::json::object& schema) {
  boost::json::object body{
      {"model", settings_.model},
      {"temperature", 0},
      {"messages", boost::json::array{boost::json::object{{"role", "system"}, {"content", system}},
                                      boost::json::object{{"role", "user"}, {"content", user}}}},
      {"response_format",
       boost::json::object{
           {"type", "json_schema"},
           {"json_schema",
            boost::json::object{{"name", schema_name}, {"strict", true}, {"schema", schema}}}}}};
  const auto text = boost::json::serialize(body);
  http_client::Request request{.method = http_client::Method::kPost,
                               .url = endpoint_,
                               .headers = {"Content-Type: application/json"},
                               .body = std::string_view(text),
                               .deadline = {.total = settings_.timeout},
                               .body_limit = settings_.max_response};
  if (!settings_.api_key.empty())
    request.headers.push_back("Authorization: Bearer " + settings_.api_key);
  auto response = client_.perform(request);
  switch (response.failure) {
    case http_client::Failure::kNone:
      break;
    case http_client::Failure::kCircuitOpen:
      return {std::nullopt, "the language model service failed repeatedly; not asked for now"};
    case http_client::Failure::kTimedOut:
      return {std::nullopt, "the language model did not answer within " +
                                std::to_string(settings_.timeout.count()) + " ms"};
    case http_client::Failure::kTooLarge:
      return {std::nullopt, "the language model's answer is larger than " +
                                std::to_string(settings_.max_response) + " bytes"};
    default:
      return {std::nullopt, "the language model could not be reached: " + response.error};
  }
  if (response.status != 200)
    return {std::nullopt, "the language model answered " + std::to_string(response.status)};
  return parse_chat_completion(response.body);
}

ChatReply parse_chat_completion(std::string_view body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {std::nullopt, "the answer is not a JSON object"};
  const auto* choices = v.as_object().if_contains("choices");
  if (!choices || !choices->is_array() || choices->as_array().empty() ||
      !choices->as_array()[0].is_object())
    return {std::nullopt, "the answer has no choices"};
  const auto* message = choices->as_array()[0].as_object().if_contains("message");
  if (!message || !message->is_object()) return {std::nullopt, "the answer has no message"};
  const auto& m = message->as_object();
  if (const auto* refusal = m.if_contains("refusal"); refusal && refusal->is_string())
    return {std::nullopt, "the model refused: " + std::string(refusal->as_string())};
  const auto* content = m.if_contains("content");
  if (!content || !content->is_string()) return {std::nullopt, "the message has no content"};
  return {std::string(content->as_string()), {}};
}

}  // namespace companion::llm
