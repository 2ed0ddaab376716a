#pragma once
// The analysis engine (version 2): delivery per speaker and over time,
// roles, questions and their answers with STAR structure, coverage of the
// job description, protected-topic flags and a summary. Pure functions of
// the transcript, the job description and the settings: no I/O, so every
// rule is tested on transcripts and the same input always gives the same
// analysis. Every finding carries its evidence (words.hpp).
//
// The definitions are in docs/analysis.md; the JSON shape is the contract's
// "Analysis, content" section.
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/analysis/delivery.hpp"
#include "modules/analysis/words.hpp"
#include "modules/transcription/transcript.hpp"

namespace companion::analysis {

inline constexpr int kEngineVersion = 2;

struct AnalysisSettings {
  DeliverySettings delivery;
  double window_seconds = 30;        // words per minute over time
  std::vector<std::string> fillers;  // empty: lexicon::default_fillers()
  std::vector<std::string> hedges;   // empty: lexicon::default_hedges()
  // A question is the part of a turn from its first question cue, when
  // that cue is among the turn's last `question_words` words.
  std::size_t question_words = 40;
  // One speaker alone ends a question with a pause this long (seconds).
  double question_pause = 1.5;
  // Ideal answer lengths, seconds.
  double answer_min_seconds = 20;
  double answer_max_seconds = 120;
  double behavioural_min_seconds = 45;
  double behavioural_max_seconds = 180;
  double long_response_delay = 5;  // seconds before an answer starts
  double long_monologue = 180;     // seconds
  std::size_t job_terms = 20;      // key terms taken from a job description
};

// An operator's settings file (docs/analysis.md, "Settings"): JSON with
// any of fillers, hedges, answerSeconds, storySeconds, pauseSeconds,
// longPauseSeconds, longResponseDelaySeconds, longMonologueSeconds,
// jobTerms. Throws std::invalid_argument saying what is wrong.
AnalysisSettings parse_analysis_settings(std::string_view json);

struct Finding {
  std::string kind;  // "star-missing", "fillers", "protected-topic", …
  std::string text;  // for a person
  std::vector<Evidence> evidence;
};

struct Occurrence {
  std::string word;  // the lexicon's phrase
  double start = 0;
  double end = 0;
  std::size_t first = 0;  // its words in the WordStream
  std::size_t last = 0;
};

struct LexiconUse {
  std::size_t count = 0;
  double per_minute = 0;  // of the speaker's talk time
  std::vector<Occurrence> items;
};

struct RateWindow {
  double start = 0;
  double end = 0;
  double words_per_minute = 0;
};

struct RepeatedPhrase {
  std::string phrase;
  std::size_t count = 0;
  std::vector<Evidence> evidence;  // the first few
};

// What version 2 adds for each speaker (in Delivery::speakers' order).
struct SpeakerReport {
  std::string id;
  LexiconUse fillers;
  LexiconUse hedges;
  std::size_t questions_asked = 0;
  std::vector<RateWindow> words_per_minute_over_time;
  double patience_seconds = 0;    // mean gap before they start after another stops
  std::size_t interruptions = 0;  // starts before the other had stopped
  std::size_t distinct_words = 0;
  double vocabulary_variety = 0;  // moving-average type/token ratio, 50-word windows
  std::vector<RepeatedPhrase> repeated_phrases;
};

struct Roles {
  std::optional<std::string> interviewer;
  std::optional<std::string> candidate;
};

struct Star {
  std::optional<Evidence> situation, task, action, result;
};

struct Answer {
  std::string speaker;
  double start = 0;
  double end = 0;
  double seconds = 0;
  std::size_t words = 0;
  double response_delay = 0;              // from the question's end to the answer's start
  std::size_t first_person_singular = 0;  // "I", "me", "my"…
  std::size_t first_person_plural = 0;    // "we", "us", "our"…
  Star star;
  std::vector<std::string> missing;  // STAR parts, behavioural questions only
  std::vector<Finding> findings;
};

struct Question {
  std::string id;  // "q1", "q2", … in recording order
  std::string speaker;
  double start = 0;
  double end = 0;
  std::string text;
  Evidence evidence;
  bool behavioural = false;  // asks for a story ("tell me about a time…")
  std::optional<Answer> answer;
  std::size_t first = 0;  // its words in the WordStream
  std::size_t last = 0;
};

struct JobTerm {
  std::string term;
  double weight = 0;  // 0..1, the most specific term 1
  bool covered = false;
  std::vector<Evidence> evidence;
};

struct JobCoverage {
  double coverage = 0;  // covered weight / all weight
  std::vector<JobTerm> terms;
};

struct Summary {
  std::string source = "rules";
  std::vector<Finding> strengths;
  std::vector<Finding> improvements;
};

struct Analysis {
  Delivery delivery;
  std::vector<SpeakerReport> speakers;
  double switches_per_minute = 0;
  Roles roles;
  std::vector<Question> questions;
  std::optional<JobCoverage> job_description;
  std::vector<Finding> flags;
  Summary summary;
};

Analysis analyse(const transcription::Transcript& t, std::string_view job_description,
                 const AnalysisSettings& settings = {});

// The contract's Analysis body, version 2 (without createdAt).
boost::json::object to_json(const Analysis& a);
boost::json::object to_json(const Evidence& e);

// The parts, for tests and for each other.
std::vector<SpeakerReport> measure_conversation(const transcription::Transcript& t,
                                                const WordStream& stream, const Delivery& d,
                                                const AnalysisSettings& settings,
                                                double& switches_per_minute);
std::vector<Question> find_questions(const WordStream& stream, const AnalysisSettings& settings);
Roles assign_roles(const transcription::Transcript& t, const Delivery& d,
                   const std::vector<Question>& questions);
void answer_questions(const WordStream& stream, const Roles& roles,
                      const AnalysisSettings& settings, std::vector<Question>& questions);
std::vector<Finding> protected_topic_flags(const WordStream& stream, const Roles& roles,
                                           const std::vector<Question>& questions);
std::optional<JobCoverage> cover_job_description(std::string_view job_description,
                                                 const WordStream& stream, const Roles& roles,
                                                 std::size_t max_terms);
Summary summarise(const Analysis& a, const WordStream& stream, const AnalysisSettings& settings);

}  // namespace companion::analysis
