// Feedback from a language model, against a local service that speaks the
// OpenAI-compatible chat completions wire format (tests/fakes/
// chat_completions_server.py): a reply under the schema is used, with
// evidence from the transcript; malformed JSON is asked for once more; a
// reply off the schema, a timeout, 429s past the retries and 5xx leave the
// rules' summary standing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "../unit/analysis_fixtures.hpp"
#include "infra/llm/chat_model.hpp"
#include "modules/analysis/llm_feedback.hpp"
#include "support/fake_service.hpp"

namespace companion::analysis {
namespace {

using namespace std::chrono_literals;

class LlmFeedback : public ::testing::Test {
 protected:
  llm::ChatSettings settings(std::string model) {
    return {.url = fake_.url(),
            .api_key = "test-key",
            .model = std::move(model),
            .timeout = 1s,
            .attempts = 3,
            .backoff = 10ms,
            .breaker_failures = 100,
            .breaker_cooldown = 60s};
  }
  // The scripted interview, analysed by the rules, then asked of `model`.
  std::pair<Analysis, LlmOutcome> ask(const std::string& model) {
    llm::ChatCompletions chat(settings(model), clock_);
    auto a = analyse(transcript_, fixtures::backend_job_description());
    auto outcome = add_llm_feedback(a, transcript_, fixtures::backend_job_description(), chat);
    return {std::move(a), outcome};
  }

  test_support::FakeService fake_{"chat_completions_server.py"};
  SystemClock clock_;
  transcription::Transcript transcript_ = fixtures::build(fixtures::behavioural_interview());
};

TEST_F(LlmFeedback, AReplyUnderTheSchemaBecomesTheSummary) {
  const auto rules = analyse(transcript_, fixtures::backend_job_description());
  auto [a, outcome] = ask("ok");
  ASSERT_TRUE(outcome.used) << outcome.why;
  EXPECT_EQ(outcome.requests, 1);
  EXPECT_EQ(a.summary.source, "llm");
  ASSERT_EQ(a.summary.strengths.size(), 1u);
  EXPECT_EQ(a.summary.strengths[0].text, "A concrete story with a clear outcome.");
  // The evidence is the transcript's, never the model's: the question named.
  ASSERT_EQ(a.summary.strengths[0].evidence.size(), 1u);
  EXPECT_EQ(a.summary.strengths[0].evidence[0].quote, "tell me about yourself");
  // Each answered question of the candidate gained the model's feedback.
  std::size_t with_feedback = 0;
  for (const auto& q : a.questions)
    if (q.answer)
      for (const auto& f : q.answer->findings)
        if (f.kind == "llm-feedback") {
          ++with_feedback;
          EXPECT_EQ(f.text, "Feedback on " + q.id + ": lead with the result.");
        }
  EXPECT_EQ(with_feedback, 9u);  // every answer but the interviewer's
  // The rules' findings stay beside it.
  EXPECT_EQ(a.flags.size(), rules.flags.size());
  // What was sent: the schema, strict; the questions with the answers' words.
  const auto last = fake_.stats().at("last").as_object();
  EXPECT_EQ(last.at("model"), "ok");
  EXPECT_EQ(last.at("response_format").at("json_schema").at("strict"), true);
  const auto user = boost::json::parse(last.at("messages").as_array()[1].at("content").as_string());
  EXPECT_NE(boost::json::serialize(user).find("at my previous job we were migrating"),
            std::string::npos);
  EXPECT_TRUE(user.as_object().contains("jobDescription"));
}

TEST_F(LlmFeedback, MalformedJsonIsAskedForOnceMore) {
  auto [a, outcome] = ask("malformed-once");
  EXPECT_TRUE(outcome.used) << outcome.why;
  EXPECT_EQ(outcome.requests, 2);
  EXPECT_EQ(a.summary.source, "llm");
}

TEST_F(LlmFeedback, TheRulesStandWhenTheModelFails) {
  const auto rules = analyse(transcript_, fixtures::backend_job_description());
  for (const char* model :
       {"malformed", "wrong-shape", "unknown-id", "no-points", "broken", "slow"}) {
    auto [a, outcome] = ask(model);
    EXPECT_FALSE(outcome.used) << model;
    EXPECT_FALSE(outcome.why.empty()) << model;
    EXPECT_EQ(a.summary.source, "rules") << model;
    EXPECT_EQ(a.summary.improvements.size(), rules.summary.improvements.size()) << model;
    for (const auto& q : a.questions)
      if (q.answer)
        for (const auto& f : q.answer->findings) EXPECT_NE(f.kind, "llm-feedback") << model;
  }
  // A reply off the schema is asked for twice; a failed call is retried by
  // the HTTP client (5xx) but not asked again; a timeout is not retried.
  EXPECT_EQ(fake_.requests("malformed"), 2);
  EXPECT_EQ(fake_.requests("wrong-shape"), 2);
  EXPECT_EQ(fake_.requests("broken"), 3);
  EXPECT_EQ(fake_.requests("slow"), 1);
}

TEST_F(LlmFeedback, RateLimitsAreWaitedOut) {
  auto [a, outcome] = ask("limited-2");
  EXPECT_TRUE(outcome.used) << outcome.why;
  EXPECT_EQ(fake_.requests("limited-2"), 3);
  auto [b, refused] = ask("limited-5");
  EXPECT_FALSE(refused.used);
  EXPECT_NE(refused.why.find("429"), std::string::npos) << refused.why;
}

TEST_F(LlmFeedback, NothingIsSentWithoutAnAnswer) {
  fixtures::Script script{{{"S1", "hello there everyone", false}}};
  auto t = fixtures::build(script);
  auto a = analyse(t, "");
  llm::ChatCompletions chat(settings("ok"), clock_);
  auto outcome = add_llm_feedback(a, t, "", chat);
  EXPECT_FALSE(outcome.used);
  EXPECT_EQ(outcome.requests, 0);
  EXPECT_EQ(fake_.requests("ok"), 0);
}

TEST(ChatCompletionsAnswer, ReadsTheContentOrSaysWhyNot) {
  EXPECT_EQ(llm::parse_chat_completion(
                R"({"choices":[{"message":{"role":"assistant","content":"{\"a\":1}"}}]})")
                .content,
            R"({"a":1})");
  for (const char* bad :
       {"", "[]", "{}", R"({"choices":[]})", R"({"choices":[{"message":{"content":null}}]})",
        R"({"choices":[{"message":{"content":"x","refusal":"no"}}]})", "not json"}) {
    auto r = llm::parse_chat_completion(bad);
    EXPECT_FALSE(r.content) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
  SystemClock clock;
  EXPECT_THROW(llm::ChatCompletions({.url = "ftp://x"}, clock), std::invalid_argument);
}

}  // namespace
}  // namespace companion::analysis
