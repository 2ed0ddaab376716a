#pragma once
// Optional feedback from a language model (--llm-url), on top of the
// rules: for each answered question, the question and the answer's words
// (and the job description) go to the model, which must reply under a
// strict JSON schema: feedback per answer, and strengths and improvements
// that each name the question they come from. A reply that is not JSON or
// does not follow the schema is asked for once more; then, or on any other
// failure (deadline, 429 and 5xx after retries, the breaker open), the
// rules' summary stands. On success the summary's source is "llm", each of
// its findings points at its question, and each answer gains a finding of
// kind "llm-feedback". The model never writes evidence: quotes come only
// from the transcript.
#include <string>
#include <string_view>

#include "infra/llm/chat_model.hpp"
#include "modules/analysis/engine.hpp"

namespace companion::analysis {

struct LlmOutcome {
  bool used = false;
  int requests = 0;
  std::string why;  // when not used: for the log
};

LlmOutcome add_llm_feedback(Analysis& analysis, const transcription::Transcript& t,
                            std::string_view job_description, llm::ChatModel& model);

}  // namespace companion::analysis
