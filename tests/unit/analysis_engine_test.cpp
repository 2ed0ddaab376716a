// The analysis engine on scripted interviews whose ground truth is known
// (analysis_fixtures.hpp): questions, answers, STAR, roles, delivery over
// time, fillers, job-description coverage, flags and the summary; and
// every piece of evidence quotes exactly the transcript's words.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <functional>
#include <set>

#include "analysis_fixtures.hpp"
#include "modules/analysis/engine.hpp"

namespace companion::analysis {
namespace {

using fixtures::Line;
using fixtures::Script;

const Question* asking(const Analysis& a, std::string_view words) {
  for (const auto& q : a.questions)
    if (q.text.find(words) != std::string::npos) return &q;
  return nullptr;
}

bool has_finding(const std::vector<Finding>& findings, std::string_view kind) {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const Finding& f) { return f.kind == kind; });
}

// The speaker's words from start to end, as the transcript has them.
std::string words_between(const transcription::Transcript& t, const std::string& speaker,
                          double start, double end) {
  std::string out;
  for (const auto& s : t.segments) {
    if (s.speaker != speaker) continue;
    for (const auto& w : s.words) {
      if (w.start + 1e-6 < start || w.end > end + 1e-6) continue;
      if (!out.empty()) out += ' ';
      out += w.word;
    }
  }
  return out;
}

// Every object with a "segmentId" in the body.
void each_evidence(const boost::json::value& v,
                   const std::function<void(const boost::json::object&)>& f) {
  if (v.is_object()) {
    const auto& o = v.as_object();
    if (o.contains("segmentId")) f(o);
    for (const auto& [key, child] : o) each_evidence(child, f);
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) each_evidence(child, f);
  }
}

TEST(AnalysisEngine, FindsTheQuestionsOfAScriptedInterview) {
  const auto script = fixtures::behavioural_interview();
  std::vector<std::size_t> line_of;
  const auto t = fixtures::build(script, &line_of);
  const auto a = analyse(t, "");
  std::set<std::size_t> truth, found;
  for (std::size_t i = 0; i < script.lines.size(); ++i)
    if (script.lines[i].question) truth.insert(i);
  for (const auto& q : a.questions) found.insert(line_of.at(q.evidence.segment_id - 1));
  std::size_t right = 0;
  for (auto i : found) right += truth.contains(i);
  const double precision = found.empty() ? 0 : double(right) / double(found.size());
  const double recall = double(right) / double(truth.size());
  EXPECT_GE(precision, 0.9);
  EXPECT_GE(recall, 0.9);
  // On this script, every one of them and nothing else.
  EXPECT_EQ(found, truth);
  // Ids in recording order; the question starts at its cue.
  ASSERT_GE(a.questions.size(), 3u);
  EXPECT_EQ(a.questions[0].id, "q1");
  EXPECT_EQ(a.questions[0].text, "tell me about yourself");
  EXPECT_EQ(a.questions[1].text, "what made you apply for this role");
  EXPECT_EQ(a.speakers[0].questions_asked, 9u);
  EXPECT_EQ(a.speakers[1].questions_asked, 1u);
}

TEST(AnalysisEngine, TellsBehaviouralQuestionsFromOthers) {
  const auto a = analyse(fixtures::build(fixtures::behavioural_interview()), "");
  EXPECT_TRUE(asking(a, "a conflict with a colleague")->behavioural);
  EXPECT_TRUE(asking(a, "have you ever missed a deadline")->behavioural);
  EXPECT_TRUE(asking(a, "give me an example of a project")->behavioural);
  EXPECT_FALSE(asking(a, "design a url shortener")->behavioural);
  EXPECT_FALSE(asking(a, "tell me about yourself")->behavioural);
}

TEST(AnalysisEngine, TheInterviewerAsksAndTheCandidateAnswers) {
  auto script = fixtures::behavioural_interview();
  auto a = analyse(fixtures::build(script), "");
  EXPECT_EQ(a.roles.interviewer, "S1");
  EXPECT_EQ(a.roles.candidate, "S2");
  // The channel order is only a hint: the interviewer on the right channel.
  auto t = fixtures::build(script);
  std::swap(t.speakers[0].channel, t.speakers[1].channel);
  a = analyse(t, "");
  EXPECT_EQ(a.roles.interviewer, "S1");
}

TEST(AnalysisEngine, PairsEachQuestionWithTheAnswerThatFollows) {
  const auto script = fixtures::behavioural_interview();
  const auto t = fixtures::build(script);
  const auto a = analyse(t, "");
  const auto* q = asking(a, "a conflict with a colleague");
  ASSERT_TRUE(q && q->answer);
  EXPECT_EQ(q->answer->speaker, "S2");
  // The candidate's next line, every word.
  const auto& line = script.lines[7].text;
  const auto words = static_cast<std::size_t>(std::count(line.begin(), line.end(), ' ') + 1);
  EXPECT_EQ(q->answer->words, words);
  // The question's last word ends 0.32 s after it starts; the answer comes
  // 0.4 s later and after the 0.8 s gap.
  EXPECT_NEAR(q->answer->response_delay, 0.88, 1e-6);
  EXPECT_NEAR(q->answer->seconds, double(words - 1) * 0.4 + 0.32, 1e-3);
  // "Do you have any questions" is answered by one word: the candidate's
  // own question follows at once.
  const auto* theirs = asking(a, "do you have any questions for us");
  ASSERT_TRUE(theirs && theirs->answer);
  EXPECT_EQ(theirs->answer->words, 1u);
  // The candidate's question is answered by the interviewer.
  const auto* day = asking(a, "what does a typical day look like");
  ASSERT_TRUE(day && day->answer);
  EXPECT_EQ(day->speaker, "S2");
  EXPECT_EQ(day->answer->speaker, "S1");
}

TEST(AnalysisEngine, FindsTheStarStructureOfEachStory) {
  const auto a = analyse(fixtures::build(fixtures::behavioural_interview()), "");
  const auto& conflict = *asking(a, "a conflict with a colleague")->answer;
  ASSERT_TRUE(conflict.star.situation && conflict.star.task && conflict.star.action &&
              conflict.star.result);
  EXPECT_EQ(conflict.star.situation->quote.rfind("at my previous job", 0), 0u);
  EXPECT_EQ(conflict.star.task->quote.rfind("my task was to plan", 0), 0u);
  EXPECT_EQ(conflict.star.result->quote.rfind("as a result we finished", 0), 0u);
  EXPECT_TRUE(conflict.missing.empty());
  EXPECT_FALSE(has_finding(conflict.findings, "star-missing"));

  const auto& deadline = *asking(a, "have you ever missed a deadline")->answer;
  EXPECT_EQ(deadline.missing, (std::vector<std::string>{"task", "result"}));
  EXPECT_TRUE(has_finding(deadline.findings, "star-missing"));

  const auto& project = *asking(a, "a project you led")->answer;
  EXPECT_GT(project.first_person_plural, project.first_person_singular);
  EXPECT_TRUE(has_finding(project.findings, "we-over-i"));
  EXPECT_NE(std::find(project.missing.begin(), project.missing.end(), "action"),
            project.missing.end());

  // Not a story: no STAR parts are asked of it.
  const auto& design = *asking(a, "design a url shortener")->answer;
  EXPECT_TRUE(design.missing.empty());
}

TEST(AnalysisEngine, EveryEvidenceQuotesExactlyTheTranscriptsWords) {
  const auto t = fixtures::build(fixtures::behavioural_interview());
  const auto body = to_json(analyse(t, fixtures::backend_job_description()));
  std::size_t checked = 0;
  each_evidence(body, [&](const boost::json::object& e) {
    const auto speaker = std::string(e.at("speaker").as_string());
    const double start = e.at("start").to_number<double>();
    const double end = e.at("end").to_number<double>();
    EXPECT_LE(start, end);
    EXPECT_EQ(std::string(e.at("quote").as_string()), words_between(t, speaker, start, end));
    const auto id = e.at("segmentId").to_number<int>();
    ASSERT_GE(id, 1);
    const auto& segment = t.segments.at(static_cast<std::size_t>(id - 1));
    EXPECT_EQ(segment.speaker, speaker);
    EXPECT_GE(start, segment.start - 1e-6);
    EXPECT_LE(start, segment.end + 1e-6);
    ++checked;
  });
  EXPECT_GT(checked, 20u);
}

TEST(AnalysisEngine, CountsFillersAndHedgesWhereTheyCarryNoMeaning) {
  Script script{{
      {"S1",
       "um so i like python and uh like i said you know it was kind of hard what kind of role "
       "is this i think maybe we should you know do you know the answer i'd like to know",
       false},
  }};
  const auto a = analyse(fixtures::build(script), "");
  const auto& fillers = a.speakers[0].fillers;
  std::vector<std::string> words;
  for (const auto& o : fillers.items) words.push_back(o.word);
  // Not "i like", "what kind of", "do you know" or "i'd like".
  EXPECT_EQ(words,
            (std::vector<std::string>{"um", "uh", "like", "you know", "kind of", "you know"}));
  EXPECT_EQ(fillers.count, 6u);
  const double minutes = a.delivery.speakers[0].talk_seconds / 60;
  EXPECT_NEAR(fillers.per_minute, 6 / minutes, 1e-9);
  std::vector<std::string> hedges;
  for (const auto& o : a.speakers[0].hedges.items) hedges.push_back(o.word);
  EXPECT_EQ(hedges, (std::vector<std::string>{"i think", "maybe"}));
  // Each occurrence has the time of its words.
  EXPECT_DOUBLE_EQ(fillers.items[0].start, 0.8);
  EXPECT_DOUBLE_EQ(fillers.items[0].end, 1.12);
}

// pocketsphinx writes a spoken "um" as "am": a filler, except the verb.
TEST(AnalysisEngine, TheRecognisersAmIsAFillerUnlessItIsTheVerb) {
  Script script{{{"S1", "we were am working on it and i am sure am i right am", false}}};
  const auto a = analyse(fixtures::build(script), "");
  std::vector<double> at;
  for (const auto& o : a.speakers[0].fillers.items) at.push_back(o.start);
  // "were am" and the last "am"; not "i am" nor "am i".
  EXPECT_EQ(at, (std::vector<double>{0.8 + 2 * 0.4, 0.8 + 13 * 0.4}));
}

TEST(AnalysisEngine, TheLexiconIsConfigurable) {
  Script script{{{"S1", "well basically the thing is right we shipped it right", false}}};
  AnalysisSettings settings;
  settings.fillers = {"right", "the thing is"};
  const auto a = analyse(fixtures::build(script), "", settings);
  EXPECT_EQ(a.speakers[0].fillers.count, 3u);
}

TEST(AnalysisEngine, MeasuresWordsPerMinuteInThirtySecondWindows) {
  // 150 words at 0.5 s each (120 a minute) from 1 s on: 76 s long.
  std::string text;
  for (int i = 0; i < 150; ++i) text += "word ";
  Script script{{{"S1", text, false, 1.0}}, 0.5};
  const auto t = fixtures::build(script);
  const auto a = analyse(t, "");
  const auto& windows = a.speakers[0].words_per_minute_over_time;
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(windows[0].start, 0);
  EXPECT_EQ(windows[0].end, 30);
  EXPECT_NEAR(windows[0].words_per_minute, 58 * 2, 1e-9);  // words starting in [1, 30)
  EXPECT_NEAR(windows[1].words_per_minute, 120, 1e-9);
  // The last window ends with the recording and counts over its length.
  EXPECT_EQ(windows[2].end, t.duration);
  EXPECT_NEAR(windows[2].words_per_minute, 32 * 60 / (t.duration - 60), 1e-9);
}

TEST(AnalysisEngine, MeasuresTurnTaking) {
  Script script{{
      {"S1", "first question here", true, 0.5},
      {"S2", "an answer after a two second gap", false, 2.0},
      {"S1", "another one", false, 1.0},
      {"S2", "a quick reply", false, 0.0},  // starts as the last word ends
  }};
  auto t = fixtures::build(script);
  // The last reply overlaps the end of the question: an interruption.
  for (auto& w : t.segments.back().words) {
    w.start -= 0.2;
    w.end -= 0.2;
  }
  t.segments.back().start -= 0.2;
  const auto a = analyse(t, "");
  const auto& s2 = a.speakers[1];
  EXPECT_EQ(s2.interruptions, 1u);
  // From the end of S1's word (start + 0.32) to S2's start 0.4 + 2.0 later.
  EXPECT_NEAR(s2.patience_seconds, 2.08, 1e-6);
  EXPECT_NEAR(a.speakers[0].patience_seconds, 1.08, 1e-6);
  EXPECT_NEAR(a.switches_per_minute, 3 * 60 / t.duration, 1e-9);
}

TEST(AnalysisEngine, MeasuresVocabularyAndRepeatedPhrases) {
  Script script{{{"S1",
                  "at the end of the day we shipped it and at the end of the day the users were "
                  "happy and at the end of the day that is what matters",
                  false}}};
  const auto a = analyse(fixtures::build(script), "");
  const auto& r = a.speakers[0];
  ASSERT_FALSE(r.repeated_phrases.empty());
  EXPECT_EQ(r.repeated_phrases[0].phrase, "at the end of the");
  EXPECT_EQ(r.repeated_phrases[0].count, 3u);
  EXPECT_EQ(r.repeated_phrases[0].evidence.size(), 3u);
  EXPECT_EQ(r.repeated_phrases[0].evidence[1].quote, "at the end of the");
  EXPECT_GT(r.vocabulary_variety, 0.3);
  EXPECT_LT(r.vocabulary_variety, 1.0);
  EXPECT_EQ(r.distinct_words, 16u);
}

TEST(AnalysisEngine, CoversTheJobDescriptionsKeyTerms) {
  const auto a = analyse(fixtures::build(fixtures::behavioural_interview()),
                         fixtures::backend_job_description());
  ASSERT_TRUE(a.job_description);
  const auto& jd = *a.job_description;
  ASSERT_FALSE(jd.terms.empty());
  EXPECT_LE(jd.terms.size(), 20u);
  auto term = [&](std::string_view name) -> const JobTerm* {
    for (const auto& t : jd.terms)
      if (t.term == name) return &t;
    return nullptr;
  };
  ASSERT_TRUE(term("kubernetes"));
  EXPECT_TRUE(term("kubernetes")->covered);  // "your work on kubernetes tooling"
  ASSERT_TRUE(term("postgresql"));
  EXPECT_FALSE(term("postgresql")->covered);  // the candidate said "postgres"
  ASSERT_TRUE(term("distributed systems"));
  EXPECT_FALSE(term("distributed systems")->covered);
  ASSERT_TRUE(term("migrations"));
  EXPECT_TRUE(term("migrations")->covered);  // "migrating": any form of the word
  EXPECT_NE(term("migrations")->evidence[0].quote.find("migrating"), std::string::npos);
  // Weighted: the most specific, most used term weighs 1.
  EXPECT_EQ(jd.terms.front().weight, 1.0);
  for (const auto& t : jd.terms) {
    EXPECT_GT(t.weight, 0);
    EXPECT_LE(t.weight, 1);
    EXPECT_EQ(t.covered, !t.evidence.empty());
  }
  EXPECT_GT(jd.coverage, 0);
  EXPECT_LT(jd.coverage, 1);
  // Generic posting words are not key terms.
  EXPECT_FALSE(term("experience"));
  EXPECT_FALSE(term("team"));
}

TEST(AnalysisEngine, FlagsQuestionsOnProtectedTopics) {
  const auto a = analyse(fixtures::build(fixtures::behavioural_interview()), "");
  ASSERT_EQ(a.flags.size(), 2u);
  for (const auto& f : a.flags) {
    EXPECT_EQ(f.kind, "protected-topic");
    ASSERT_EQ(f.evidence.size(), 1u);
    EXPECT_EQ(f.evidence[0].speaker, "S1");
    EXPECT_NE(f.evidence[0].quote.find("have children"), std::string::npos);
  }
  EXPECT_NE(a.flags[0].text.find("family plans"), std::string::npos);
  EXPECT_NE(a.flags[1].text.find("nationality"), std::string::npos);
}

TEST(AnalysisEngine, SummarisesStrengthsAndTheThreeMostUsefulImprovements) {
  const auto a = analyse(fixtures::build(fixtures::behavioural_interview()),
                         fixtures::backend_job_description());
  EXPECT_EQ(a.summary.source, "rules");
  EXPECT_LE(a.summary.strengths.size(), 3u);
  // Two things to improve here; never more than three.
  EXPECT_EQ(a.summary.improvements.size(), 2u);
  for (const auto* list : {&a.summary.strengths, &a.summary.improvements})
    for (const auto& f : *list) {
      EXPECT_FALSE(f.evidence.empty()) << f.kind;
      EXPECT_FALSE(f.text.empty());
    }
  EXPECT_TRUE(has_finding(a.summary.strengths, "star-complete"));
  EXPECT_TRUE(has_finding(a.summary.strengths, "quantified-result"));
  EXPECT_EQ(a.summary.improvements[0].kind, "star-missing");
  EXPECT_TRUE(has_finding(a.summary.improvements, "we-over-i"));
}

TEST(AnalysisEngine, KeepsEveryVersionOneField) {
  const auto t = fixtures::build(fixtures::behavioural_interview());
  const auto body = to_json(analyse(t, ""));
  EXPECT_EQ(body.at("version"), 2);
  for (const char* key : {"durationSeconds", "talkSeconds", "speakers", "roles", "questions",
                          "jobDescription", "flags", "summary", "switchesPerMinute"})
    EXPECT_TRUE(body.contains(key)) << key;
  const auto& speaker = body.at("speakers").as_array()[0].as_object();
  for (const char* key : {"id", "label", "talkSeconds", "talkRatio", "words", "wordsPerMinute",
                          "longestMonologueSeconds", "pauses", "fillers", "hedges",
                          "questionsAsked", "wordsPerMinuteOverTime"})
    EXPECT_TRUE(speaker.contains(key)) << key;
  EXPECT_TRUE(body.at("jobDescription").is_null());
  const auto v1 = to_json(measure_delivery(t));
  EXPECT_EQ(body.at("speakers").as_array()[1].at("talkRatio"),
            v1.at("speakers").as_array()[1].at("talkRatio"));
}

// Inputs at the edges: the engine answers, and the answer holds together.
TEST(AnalysisEngineProperties, AnEmptyTranscript) {
  transcription::Transcript t;
  const auto a = analyse(t, "some job description about kubernetes");
  EXPECT_TRUE(a.questions.empty());
  EXPECT_FALSE(a.roles.interviewer);
  EXPECT_FALSE(a.roles.candidate);
  EXPECT_TRUE(a.summary.strengths.empty());
  const auto body = to_json(a);
  EXPECT_EQ(body.at("version"), 2);
  EXPECT_EQ(body.at("jobDescription").at("coverage"), 0.0);
}

TEST(AnalysisEngineProperties, OneSpeakerAsksAndAnswers) {
  Script script{{
      {"S1", "tell me about a time you failed", true},
      {"S1",  // after a pause: the answer
       "at my last job i had to ship a feature and i decided to skip tests as a result it broke "
       "and i learned to test",
       false, 2.0},
  }};
  const auto a = analyse(fixtures::build(script), "");
  EXPECT_FALSE(a.roles.interviewer);
  EXPECT_EQ(a.roles.candidate, "S1");
  ASSERT_EQ(a.questions.size(), 1u);
  ASSERT_TRUE(a.questions[0].answer);
  EXPECT_EQ(a.questions[0].answer->speaker, "S1");
  EXPECT_TRUE(a.questions[0].answer->missing.empty());
}

TEST(AnalysisEngineProperties, OverlappingSpeech) {
  auto t = fixtures::build(fixtures::behavioural_interview());
  // Every second segment starts a second before the one it follows ends.
  for (std::size_t i = 1; i < t.segments.size(); i += 2) {
    for (auto& w : t.segments[i].words) {
      w.start -= 1.0;
      w.end -= 1.0;
    }
    t.segments[i].start -= 1.0;
    t.segments[i].end -= 1.0;
  }
  const auto a = analyse(t, fixtures::backend_job_description());
  EXPECT_FALSE(a.questions.empty());
  for (const auto& r : a.speakers) EXPECT_GE(r.patience_seconds, 0);
  EXPECT_GT(a.speakers[1].interruptions + a.speakers[0].interruptions, 0u);
  to_json(a);
}

// One speaker's segments overlapping (a recogniser's chunks): every range
// still runs forwards and covers the words it quotes (found by fuzzing).
TEST(AnalysisEngineProperties, OneSpeakersSegmentsOverlap) {
  Script script{
      {{"S1", "so tell me about a time you had a conflict with a colleague at work", true},
       {"S2", "at my previous job we were late so i decided to act as a result we won", false}}};
  auto t = fixtures::build(script);
  // The candidate's second segment starts 3 s before the first ends.
  auto& second = t.segments.back();
  for (auto& w : second.words) {
    w.start -= 3;
    w.end -= 3;
  }
  second.start -= 3;
  second.end -= 3;
  const auto a = analyse(t, "");
  each_evidence(to_json(a), [&](const boost::json::object& e) {
    EXPECT_LE(e.at("start").to_number<double>(), e.at("end").to_number<double>());
  });
  ASSERT_TRUE(a.questions.at(0).answer);
  EXPECT_LE(a.questions[0].answer->start, a.questions[0].answer->end);
}

// Practising alone, the whole recording is one turn: an answer's evidence
// stops where the next question starts.
TEST(AnalysisEngineProperties, EvidenceNeverRunsIntoTheNextQuestion) {
  Script script{
      {{"S1", "tell me about a time you failed", true},
       {"S1", "i missed a deadline once", false, 2.0},
       {"S1", "why do you want this job", true, 2.0},
       {"S1", "because the team builds things i care about and as a result i grow", false, 2.0}}};
  const auto a = analyse(fixtures::build(script), "");
  ASSERT_EQ(a.questions.size(), 2u);
  ASSERT_TRUE(a.questions[0].answer);
  for (const auto& f : a.questions[0].answer->findings)
    for (const auto& e : f.evidence) {
      EXPECT_EQ(e.quote.find("why"), std::string::npos) << f.kind << ": " << e.quote;
      EXPECT_EQ(e.quote.find("tell me"), std::string::npos) << f.kind << ": " << e.quote;
    }
}

// A recogniser that punctuates with typographic marks.
TEST(AnalysisEngineProperties, TypographicPunctuationIsPunctuation) {
  Script script{{{"S1", "“Tell me about a time… you led a team”", true},
                 {"S2", "At my last job — we shipped it. “Basically” I decided…", false}}};
  const auto a = analyse(fixtures::build(script), "");
  ASSERT_EQ(a.questions.size(), 1u);
  EXPECT_TRUE(a.questions[0].behavioural);
  ASSERT_TRUE(a.questions[0].answer);
  EXPECT_EQ(a.questions[0].answer->words, 10u);  // the dash is not a word
  EXPECT_EQ(a.speakers[1].fillers.count, 1u);    // “Basically”
  EXPECT_EQ(normalise("“tell"), "tell");
  EXPECT_EQ(normalise("time…"), "time");
  EXPECT_EQ(normalise("—"), "");
}

TEST(AnalysisEngineProperties, AFourHourTranscript) {
  auto script = fixtures::behavioural_interview();
  Script long_one{{}, script.seconds_per_word};
  // The interview 70 times over: more than four hours.
  while (long_one.lines.size() < 70 * script.lines.size())
    for (const auto& line : script.lines) long_one.lines.push_back(line);
  const auto t = fixtures::build(long_one);
  ASSERT_GT(t.duration, 4 * 3600);
  const auto a = analyse(t, fixtures::backend_job_description());
  EXPECT_EQ(a.questions.size(), 70u * 10u);
  EXPECT_EQ(a.speakers[0].words_per_minute_over_time.size(),
            static_cast<std::size_t>(std::ceil(t.duration / 30)));
  EXPECT_LE(a.summary.improvements.size(), 3u);
}

TEST(AnalysisEngineProperties, AJobDescriptionOfTwentyThousandCharacters) {
  std::string jd;
  while (jd.size() < 20'000) jd += fixtures::backend_job_description() + " ";
  jd.resize(20'000);
  const auto a = analyse(fixtures::build(fixtures::behavioural_interview()), jd);
  ASSERT_TRUE(a.job_description);
  EXPECT_LE(a.job_description->terms.size(), 20u);
  EXPECT_GT(a.job_description->coverage, 0);
}

TEST(AnalysisEngineProperties, AJobDescriptionOfNoWords) {
  const auto a = analyse(fixtures::build(fixtures::behavioural_interview()), "  ... , 42 !");
  EXPECT_FALSE(a.job_description);
}

}  // namespace
}  // namespace companion::analysis

namespace companion::analysis {
namespace {

TEST(AnalysisSettingsFile, ReadsWhatAnOperatorSets) {
  auto s = parse_analysis_settings(R"({"fillers": ["right", "the thing is"], "hedges": ["kinda"],
      "answerSeconds": {"min": 10, "max": 90}, "storySeconds": {"min": 30, "max": 150},
      "pauseSeconds": 0.5, "longPauseSeconds": 2, "longResponseDelaySeconds": 8,
      "longMonologueSeconds": 240, "jobTerms": 12})");
  EXPECT_EQ(s.fillers, (std::vector<std::string>{"right", "the thing is"}));
  EXPECT_EQ(s.hedges, (std::vector<std::string>{"kinda"}));
  EXPECT_EQ(s.answer_min_seconds, 10);
  EXPECT_EQ(s.answer_max_seconds, 90);
  EXPECT_EQ(s.behavioural_min_seconds, 30);
  EXPECT_EQ(s.behavioural_max_seconds, 150);
  EXPECT_EQ(s.delivery.pause, 0.5);
  EXPECT_EQ(s.delivery.long_pause, 2);
  EXPECT_EQ(s.long_response_delay, 8);
  EXPECT_EQ(s.long_monologue, 240);
  EXPECT_EQ(s.job_terms, 12u);
  // Nothing set: the defaults.
  auto d = parse_analysis_settings("{}");
  EXPECT_TRUE(d.fillers.empty());
  EXPECT_EQ(d.job_terms, 20u);
}

TEST(AnalysisSettingsFile, RefusesWhatItCannotUse) {
  for (const char* bad :
       {"", "[]", "{", R"({"filler": ["um"]})", R"({"fillers": []})", R"({"fillers": "um"})",
        R"({"fillers": [""]})", R"({"fillers": [1]})", R"({"answerSeconds": 30})",
        R"({"answerSeconds": {"min": 90, "max": 30}})", R"({"answerSeconds": {"min": 10}})",
        R"({"answerSeconds": {"min": 10, "max": 20, "ideal": 15}})", R"({"jobTerms": 0})",
        R"({"jobTerms": 2.5})", R"({"pauseSeconds": -1})", R"({"pauseSeconds": "1"})",
        R"({"pauseSeconds": 2, "longPauseSeconds": 1})"}) {
    EXPECT_THROW(parse_analysis_settings(bad), std::invalid_argument) << bad;
  }
  try {
    parse_analysis_settings(R"({"filler": ["um"]})");
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown setting \"filler\"");
  }
}

}  // namespace
}  // namespace companion::analysis
