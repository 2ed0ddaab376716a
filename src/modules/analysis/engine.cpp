#include "modules/analysis/engine.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace companion::analysis {
namespace {

double rounded(double v, double unit) {
  return std::round(v / unit) * unit;
}
double ms(double seconds) {
  return std::round(seconds * 1000.0) / 1000.0;
}

boost::json::value optional_evidence(const std::optional<Evidence>& e) {
  if (!e) return nullptr;
  return to_json(*e);
}

boost::json::array evidence_json(const std::vector<Evidence>& list) {
  boost::json::array out;
  for (const auto& e : list) out.push_back(to_json(e));
  return out;
}

boost::json::array findings_json(const std::vector<Finding>& findings) {
  boost::json::array out;
  for (const auto& f : findings)
    out.push_back(boost::json::object{
        {"kind", f.kind}, {"text", f.text}, {"evidence", evidence_json(f.evidence)}});
  return out;
}

boost::json::object lexicon_json(const LexiconUse& use) {
  boost::json::array items;
  for (const auto& o : use.items)
    items.push_back(
        boost::json::object{{"word", o.word}, {"start", ms(o.start)}, {"end", ms(o.end)}});
  return {{"count", use.count},
          {"perMinute", rounded(use.per_minute, 0.01)},
          {"items", std::move(items)}};
}

boost::json::value answer_json(const std::optional<Answer>& answer) {
  if (!answer) return nullptr;
  const auto& a = *answer;
  boost::json::array missing;
  for (const auto& m : a.missing) missing.push_back(boost::json::string(m));
  return boost::json::object{
      {"speaker", a.speaker},
      {"start", ms(a.start)},
      {"end", ms(a.end)},
      {"seconds", ms(a.seconds)},
      {"words", a.words},
      {"responseDelaySeconds", ms(a.response_delay)},
      {"firstPersonSingular", a.first_person_singular},
      {"firstPersonPlural", a.first_person_plural},
      {"star", boost::json::object{{"situation", optional_evidence(a.star.situation)},
                                   {"task", optional_evidence(a.star.task)},
                                   {"action", optional_evidence(a.star.action)},
                                   {"result", optional_evidence(a.star.result)}}},
      {"missing", std::move(missing)},
      {"findings", findings_json(a.findings)}};
}

boost::json::value optional_id(const std::optional<std::string>& id) {
  if (!id) return nullptr;
  return boost::json::string(*id);
}

}  // namespace

Analysis analyse(const transcription::Transcript& t, std::string_view job_description,
                 const AnalysisSettings& settings) {
  Analysis a;
  a.delivery = measure_delivery(t, settings.delivery);
  const auto stream = make_word_stream(t);
  a.speakers = measure_conversation(t, stream, a.delivery, settings, a.switches_per_minute);
  a.questions = find_questions(stream, settings);
  for (auto& r : a.speakers)
    for (const auto& q : a.questions) r.questions_asked += q.speaker == r.id;
  a.roles = assign_roles(t, a.delivery, a.questions);
  answer_questions(stream, a.roles, settings, a.questions);
  a.flags = protected_topic_flags(stream, a.roles, a.questions);
  a.job_description = cover_job_description(job_description, stream, a.roles, settings.job_terms);
  a.summary = summarise(a, stream, settings);
  return a;
}

boost::json::object to_json(const Evidence& e) {
  return {{"segmentId", e.segment_id},
          {"speaker", e.speaker},
          {"start", ms(e.start)},
          {"end", ms(e.end)},
          {"quote", e.quote}};
}

boost::json::object to_json(const Analysis& a) {
  auto body = to_json(a.delivery);  // every version-1 field
  body["version"] = kEngineVersion;
  body["switchesPerMinute"] = rounded(a.switches_per_minute, 0.01);
  body["roles"] = boost::json::object{{"interviewer", optional_id(a.roles.interviewer)},
                                      {"candidate", optional_id(a.roles.candidate)}};
  auto& speakers = body["speakers"].as_array();
  for (std::size_t i = 0; i < a.speakers.size() && i < speakers.size(); ++i) {
    const auto& r = a.speakers[i];
    auto& o = speakers[i].as_object();
    o["fillers"] = lexicon_json(r.fillers);
    o["hedges"] = lexicon_json(r.hedges);
    o["questionsAsked"] = r.questions_asked;
    boost::json::array windows;
    for (const auto& w : r.words_per_minute_over_time)
      windows.push_back(boost::json::object{{"start", ms(w.start)},
                                            {"end", ms(w.end)},
                                            {"wordsPerMinute", rounded(w.words_per_minute, 0.1)}});
    o["wordsPerMinuteOverTime"] = std::move(windows);
    o["patienceSeconds"] = ms(r.patience_seconds);
    o["interruptions"] = r.interruptions;
    o["vocabulary"] = boost::json::object{{"distinctWords", r.distinct_words},
                                          {"variety", rounded(r.vocabulary_variety, 0.001)}};
    boost::json::array phrases;
    for (const auto& p : r.repeated_phrases)
      phrases.push_back(boost::json::object{
          {"phrase", p.phrase}, {"count", p.count}, {"evidence", evidence_json(p.evidence)}});
    o["repeatedPhrases"] = std::move(phrases);
  }
  boost::json::array questions;
  for (const auto& q : a.questions)
    questions.push_back(boost::json::object{{"id", q.id},
                                            {"speaker", q.speaker},
                                            {"start", ms(q.start)},
                                            {"end", ms(q.end)},
                                            {"text", q.text},
                                            {"behavioural", q.behavioural},
                                            {"evidence", to_json(q.evidence)},
                                            {"answer", answer_json(q.answer)}});
  body["questions"] = std::move(questions);
  if (a.job_description) {
    boost::json::array terms;
    for (const auto& term : a.job_description->terms)
      terms.push_back(boost::json::object{{"term", term.term},
                                          {"weight", term.weight},
                                          {"covered", term.covered},
                                          {"evidence", evidence_json(term.evidence)}});
    body["jobDescription"] = boost::json::object{
        {"coverage", rounded(a.job_description->coverage, 0.001)}, {"terms", std::move(terms)}};
  } else {
    body["jobDescription"] = nullptr;
  }
  body["flags"] = findings_json(a.flags);
  body["summary"] = boost::json::object{{"source", a.summary.source},
                                        {"strengths", findings_json(a.summary.strengths)},
                                        {"improvements", findings_json(a.summary.improvements)}};
  return body;
}

}  // namespace companion::analysis
