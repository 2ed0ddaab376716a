#include "modules/analysis/llm_feedback.hpp"

#include <boost/json.hpp>

#include <map>
#include <set>

namespace companion::analysis {
namespace {

constexpr std::size_t kMaxFeedback = 2000;  // characters of one answer's feedback
constexpr std::size_t kMaxPoint = 1000;     // of one strength or improvement
constexpr std::size_t kKept = 3;
constexpr int kTries = 2;  // a reply that breaks the schema is asked for once more

const char* kSystem =
    "You are an interview coach. You receive the questions of a job interview, each with the "
    "candidate's answer as a speech recogniser transcribed it (no punctuation, some words "
    "misheard), and the job description when there is one. For each answer write one short, "
    "specific piece of feedback the candidate can act on. Then give at most three strengths "
    "and at most three improvements for the whole interview, each naming the question it comes "
    "from. Reply only with JSON that follows the schema.";

boost::json::object point_schema() {
  return {{"type", "object"},
          {"additionalProperties", false},
          {"required", boost::json::array{"questionId", "text"}},
          {"properties", boost::json::object{{"questionId", {{"type", "string"}}},
                                             {"text", {{"type", "string"}}}}}};
}

boost::json::object schema() {
  boost::json::object answer{
      {"type", "object"},
      {"additionalProperties", false},
      {"required", boost::json::array{"questionId", "feedback"}},
      {"properties", boost::json::object{{"questionId", {{"type", "string"}}},
                                         {"feedback", {{"type", "string"}}}}}};
  return {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", boost::json::array{"answers", "strengths", "improvements"}},
      {"properties",
       boost::json::object{
           {"answers", boost::json::object{{"type", "array"}, {"items", answer}}},
           {"strengths", boost::json::object{{"type", "array"}, {"items", point_schema()}}},
           {"improvements", boost::json::object{{"type", "array"}, {"items", point_schema()}}}}}};
}

// The answer's words, as the transcript has them.
std::string answer_text(const transcription::Transcript& t, const Answer& a) {
  std::string out;
  for (const auto& s : t.segments) {
    if (s.speaker != a.speaker) continue;
    for (const auto& w : s.words) {
      if (w.start + 1e-6 < a.start || w.end > a.end + 1e-6) continue;
      if (!out.empty()) out += ' ';
      out += w.word;
    }
  }
  return out;
}

struct Reply {
  std::map<std::string, std::string> feedback;                               // by question id
  std::vector<std::pair<std::string, std::string>> strengths, improvements;  // (id, text)
};

std::optional<std::string> text_of(const boost::json::object& o, std::string_view key,
                                   std::size_t limit) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string() || v->as_string().empty() || v->as_string().size() > limit)
    return std::nullopt;
  return std::string(v->as_string());
}

// The reply, when it follows the schema and names only questions asked.
std::optional<Reply> read_reply(const std::string& content, const std::set<std::string>& asked) {
  boost::system::error_code ec;
  auto v = boost::json::parse(content, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  Reply reply;
  const auto* answers = o.if_contains("answers");
  if (!answers || !answers->is_array()) return std::nullopt;
  for (const auto& a : answers->as_array()) {
    if (!a.is_object()) return std::nullopt;
    auto id = text_of(a.as_object(), "questionId", 64);
    auto feedback = text_of(a.as_object(), "feedback", kMaxFeedback);
    if (!id || !feedback || !asked.contains(*id)) return std::nullopt;
    reply.feedback[*id] = *feedback;
  }
  for (auto [key, list] :
       {std::pair{"strengths", &reply.strengths}, std::pair{"improvements", &reply.improvements}}) {
    const auto* points = o.if_contains(key);
    if (!points || !points->is_array()) return std::nullopt;
    for (const auto& p : points->as_array()) {
      if (!p.is_object()) return std::nullopt;
      auto id = text_of(p.as_object(), "questionId", 64);
      auto text = text_of(p.as_object(), "text", kMaxPoint);
      if (!id || !text || !asked.contains(*id)) return std::nullopt;
      if (list->size() < kKept) list->emplace_back(*id, *text);
    }
  }
  // Nothing to say about the interview as a whole is not a summary.
  if (reply.strengths.empty() && reply.improvements.empty()) return std::nullopt;
  return reply;
}

}  // namespace

LlmOutcome add_llm_feedback(Analysis& a, const transcription::Transcript& t,
                            std::string_view job_description, llm::ChatModel& model) {
  LlmOutcome outcome;
  boost::json::array questions;
  std::set<std::string> asked;
  std::map<std::string, Question*> by_id;
  for (auto& q : a.questions) {
    if (!q.answer || (a.roles.candidate && q.answer->speaker != *a.roles.candidate)) continue;
    questions.push_back(boost::json::object{
        {"id", q.id}, {"question", q.text}, {"answer", answer_text(t, *q.answer)}});
    asked.insert(q.id);
    by_id[q.id] = &q;
  }
  if (questions.empty()) {
    outcome.why = "no answered questions to ask about";
    return outcome;
  }
  boost::json::object user{{"questions", std::move(questions)}};
  if (!job_description.empty()) user["jobDescription"] = job_description;
  const auto user_text = boost::json::serialize(user);
  const auto reply_schema = schema();

  std::optional<Reply> reply;
  for (int attempt = 0; attempt < kTries && !reply; ++attempt) {
    ++outcome.requests;
    auto answer = model.complete(kSystem, user_text, "interview_feedback", reply_schema);
    if (!answer.content) {
      outcome.why = answer.error;
      return outcome;  // the client has retried what can be retried
    }
    reply = read_reply(*answer.content, asked);
    if (!reply) outcome.why = "the model's reply did not follow the schema";
  }
  if (!reply) return outcome;

  for (const auto& [id, text] : reply->feedback)
    by_id[id]->answer->findings.push_back({"llm-feedback", text, {by_id[id]->evidence}});
  Summary summary;
  summary.source = "llm";
  for (const auto& [id, text] : reply->strengths)
    summary.strengths.push_back({"llm", text, {by_id[id]->evidence}});
  for (const auto& [id, text] : reply->improvements)
    summary.improvements.push_back({"llm", text, {by_id[id]->evidence}});
  a.summary = std::move(summary);
  outcome.used = true;
  outcome.why.clear();
  return outcome;
}

}  // namespace companion::analysis
