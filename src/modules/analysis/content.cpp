// Content: the questions asked, who interviews and who answers, each
// answer's STAR structure and findings, and protected-topic flags.
// docs/analysis.md has the rules and what they miss.
#include <algorithm>
#include <cmath>
#include <map>

#include "modules/analysis/engine.hpp"
#include "modules/analysis/lexicon.hpp"

namespace companion::analysis {
namespace {

constexpr double kClausePause = 0.4;      // seconds of silence that start a clause
constexpr std::size_t kEvidenceTail = 8;  // words quoted after a cue
constexpr std::size_t kOpening = 12;      // words quoted for an answer's opening or close

bool clause_start(const WordStream& s, std::size_t k) {
  const auto& turn = s.turns[s.turn_of[k]];
  if (k == turn.first) return true;
  const auto& before = s.tokens[k - 1];
  return before.sentence_end || s.tokens[k].start - before.end >= kClausePause ||
         lexicon::is_discourse_marker(before.text);
}

bool question_cue(const WordStream& s, std::size_t k, const PhraseList& imperatives) {
  if (!clause_start(s, k)) return false;
  const auto& turn = s.turns[s.turn_of[k]];
  const std::string& w = s.tokens[k].text;
  const std::string_view next = k < turn.last ? std::string_view(s.tokens[k + 1].text) : "";
  if (lexicon::is_wh_word(w))
    return w.find('\'') != std::string::npos || lexicon::follows_wh_in_question(next);
  if (lexicon::is_auxiliary(w)) return lexicon::is_subject(next);
  return imperatives.match(s, k).first > 0;
}

// The first match of any phrase of `list` among `tokens`, as evidence of
// the phrase and the words after it in its turn.
// An answer's words (`tokens`, ascending) and the last word it may quote:
// evidence never runs into the next question.
struct AnswerWords {
  const std::vector<std::size_t>& tokens;
  std::size_t limit;
};

// The first match of any phrase of `list` among the answer's words, as
// evidence of the phrase and the words after it in its turn.
std::optional<Evidence> first_match(const WordStream& s, const AnswerWords& answer,
                                    const PhraseList& list) {
  for (auto k : answer.tokens) {
    auto [length, which] = list.match(s, k);
    if (length == 0 || k + length - 1 > answer.limit) continue;
    const auto& turn = s.turns[s.turn_of[k]];
    return evidence_of(s, k, std::min({turn.last, k + length - 1 + kEvidenceTail, answer.limit}));
  }
  return std::nullopt;
}

// The answer's first words in its first turn, or its last in its last.
Evidence opening_of(const WordStream& s, const AnswerWords& answer) {
  const auto first = answer.tokens.front();
  const auto& turn = s.turns[s.turn_of[first]];
  return evidence_of(s, first, std::min({turn.last, first + kOpening - 1, answer.limit}));
}

Evidence closing_of(const WordStream& s, const AnswerWords& answer) {
  const auto last = answer.tokens.back();
  const auto& turn = s.turns[s.turn_of[last]];
  auto from = last >= turn.first + kOpening - 1 ? last - (kOpening - 1) : turn.first;
  from = std::max(from, answer.tokens.front());  // not the question's words
  return evidence_of(s, from, last);
}

std::string seconds_text(double seconds) {
  const auto total = static_cast<long>(std::lround(seconds));
  if (total < 60) return std::to_string(total) + " s";
  if (total % 60 == 0) return std::to_string(total / 60) + " min";
  return std::to_string(total / 60) + " min " + std::to_string(total % 60) + " s";
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += i + 1 == parts.size() ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

}  // namespace

std::vector<Question> find_questions(const WordStream& s, const AnalysisSettings& settings) {
  const PhraseList imperatives(lexicon::imperative_questions());
  const PhraseList behavioural(lexicon::behavioural_cues());
  // The stretches a question can end: a turn, where speakers take turns;
  // one speaker alone (reading questions and answering them) ends a
  // question with a pause.
  struct Stretch {
    std::size_t first, last;
  };
  std::vector<Stretch> stretches;
  const bool alone = std::all_of(s.turns.begin(), s.turns.end(),
                                 [&](const Turn& t) { return t.speaker == s.turns[0].speaker; });
  for (const auto& turn : s.turns) {
    auto first = turn.first;
    for (auto k = turn.first + 1; alone && k <= turn.last; ++k) {
      if (s.tokens[k].start - s.tokens[k - 1].end < settings.question_pause) continue;
      stretches.push_back({first, k - 1});
      first = k;
    }
    stretches.push_back({first, turn.last});
  }
  std::vector<Question> out;
  for (const auto& turn : stretches) {
    // Only a stretch's last words can hold its question: a question is
    // what a speaker stops on to hear the answer.
    const auto window = std::max<std::size_t>(settings.question_words, 1);
    const auto from = turn.last - turn.first + 1 > window ? turn.last + 1 - window : turn.first;
    std::optional<std::size_t> cue;
    for (auto k = from; k <= turn.last && !cue; ++k)
      if (question_cue(s, k, imperatives)) cue = k;
    // A recogniser that punctuates: a '?' ends a question whose start is
    // the sentence's.
    for (auto k = from; k <= turn.last && !cue; ++k) {
      if (!s.tokens[k].question_mark) continue;
      auto start = k;
      while (start > from && !s.tokens[start - 1].sentence_end) --start;
      cue = start;
    }
    if (!cue) continue;
    Question q;
    q.speaker = s.speaker(turn.first);
    q.first = *cue;
    q.last = turn.last;
    q.evidence = evidence_of(s, q.first, q.last);
    q.start = q.evidence.start;
    q.end = q.evidence.end;
    q.text = q.evidence.quote;
    for (auto k = q.first; k <= q.last && !q.behavioural; ++k)
      q.behavioural = behavioural.match(s, k).first > 0;
    out.push_back(std::move(q));
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i].id = "q" + std::to_string(i + 1);
  return out;
}

Roles assign_roles(const transcription::Transcript& t, const Delivery& d,
                   const std::vector<Question>& questions) {
  Roles roles;
  std::vector<const SpeakerDelivery*> talking;
  for (const auto& sd : d.speakers)
    if (sd.words > 0) talking.push_back(&sd);
  if (talking.empty()) return roles;
  if (talking.size() == 1) {
    roles.candidate = talking.front()->id;  // practice alone: the answers are theirs
    return roles;
  }
  std::map<std::string, std::size_t> asked;
  for (const auto& q : questions) ++asked[q.speaker];
  auto channel = [&](const std::string& id) {
    const auto* sp = t.speaker(id);
    return sp ? sp->channel : 0;
  };
  // Who asks most; then who talks less; then, as a hint only, the first
  // channel of a stereo recording.
  auto interviewer = std::min_element(talking.begin(), talking.end(), [&](auto* a, auto* b) {
    if (asked[a->id] != asked[b->id]) return asked[a->id] > asked[b->id];
    if (a->talk_seconds != b->talk_seconds) return a->talk_seconds < b->talk_seconds;
    return channel(a->id) < channel(b->id);
  });
  roles.interviewer = (*interviewer)->id;
  const SpeakerDelivery* candidate = nullptr;
  for (const auto* sd : talking)
    if (sd->id != *roles.interviewer && (!candidate || sd->talk_seconds > candidate->talk_seconds))
      candidate = sd;
  if (candidate) roles.candidate = candidate->id;
  return roles;
}

void answer_questions(const WordStream& s, const Roles& roles, const AnalysisSettings& settings,
                      std::vector<Question>& questions) {
  const PhraseList situation(lexicon::situation_cues());
  const PhraseList task(lexicon::task_cues());
  const PhraseList action(lexicon::action_cues());
  const PhraseList result(lexicon::result_cues());
  const bool alone = !roles.interviewer;  // one speaker asks and answers
  for (std::size_t i = 0; i < questions.size(); ++i) {
    auto& q = questions[i];
    const auto until = i + 1 < questions.size() ? questions[i + 1].first : s.tokens.size();
    // Who answers: the other speaker who says most before the next question.
    std::map<std::string, std::size_t> said;
    for (auto k = q.last + 1; k < until; ++k)
      if (alone || s.speaker(k) != q.speaker) ++said[s.speaker(k)];
    if (said.empty()) continue;
    const auto speaker = std::max_element(said.begin(), said.end(), [](auto& a, auto& b) {
                           return a.second < b.second;
                         })->first;
    std::vector<std::size_t> tokens;
    for (auto k = q.last + 1; k < until; ++k)
      if (s.speaker(k) == speaker) tokens.push_back(k);
    const AnswerWords words{tokens, until - 1};
    Answer a;
    a.speaker = speaker;
    a.start = s.tokens[tokens.front()].start;
    a.end = s.tokens[tokens.back()].end;
    a.seconds = std::max(0.0, a.end - a.start);
    a.words = tokens.size();
    a.response_delay = std::max(0.0, a.start - q.end);
    for (auto k : tokens) {
      a.first_person_singular += lexicon::is_first_person_singular(s.tokens[k].text);
      a.first_person_plural += lexicon::is_first_person_plural(s.tokens[k].text);
    }
    a.star.situation = first_match(s, words, situation);
    a.star.task = first_match(s, words, task);
    a.star.action = first_match(s, words, action);
    a.star.result = first_match(s, words, result);

    if (q.behavioural) {
      if (!a.star.situation) a.missing.push_back("situation");
      if (!a.star.task) a.missing.push_back("task");
      if (!a.star.action) a.missing.push_back("action");
      if (!a.star.result) a.missing.push_back("result");
      if (!a.missing.empty()) {
        Finding f{"star-missing",
                  "This story has no clear " + join(a.missing) +
                      ": a full answer sets the scene, says what you had to do, what you did "
                      "and what came of it.",
                  {opening_of(s, words)}};
        if (tokens.size() > kOpening) f.evidence.push_back(closing_of(s, words));
        a.findings.push_back(std::move(f));
      }
      if (a.first_person_plural >= 3 && a.first_person_plural > a.first_person_singular) {
        Finding f{"we-over-i",
                  "You said \"we\" " + std::to_string(a.first_person_plural) + " times and \"I\" " +
                      std::to_string(a.first_person_singular) + " times: say which part was yours.",
                  {}};
        for (auto k : tokens) {
          if (f.evidence.size() == 3) break;
          if (!lexicon::is_first_person_plural(s.tokens[k].text)) continue;
          const auto& turn = s.turns[s.turn_of[k]];
          f.evidence.push_back(evidence_of(s, k, std::min({turn.last, k + 5, words.limit})));
        }
        a.findings.push_back(std::move(f));
      }
    }
    const double low =
        q.behavioural ? settings.behavioural_min_seconds : settings.answer_min_seconds;
    const double high =
        q.behavioural ? settings.behavioural_max_seconds : settings.answer_max_seconds;
    if (a.seconds < low && q.behavioural) {
      a.findings.push_back({"answer-short",
                            "A " + seconds_text(a.seconds) +
                                " answer to a question that asks for "
                                "a story: " +
                                seconds_text(low) + " to " + seconds_text(high) +
                                " gives room for the whole of it.",
                            {opening_of(s, words)}});
    } else if (a.seconds > high) {
      a.findings.push_back({"answer-long",
                            "A " + seconds_text(a.seconds) + " answer: under " +
                                seconds_text(high) + " keeps the listener with you.",
                            {opening_of(s, words), closing_of(s, words)}});
    }
    if (a.response_delay >= settings.long_response_delay) {
      a.findings.push_back({"slow-start",
                            seconds_text(a.response_delay) +
                                " of silence before the answer: a short bridge (\"Let me think "
                                "of a good example\") keeps the conversation going.",
                            {opening_of(s, words)}});
    }
    q.answer = std::move(a);
  }
}

std::vector<Finding> protected_topic_flags(const WordStream& s, const Roles& roles,
                                           const std::vector<Question>& questions) {
  std::vector<Finding> flags;
  for (const auto& topic : lexicon::protected_topics()) {
    const PhraseList phrases(topic.phrases);
    for (const auto& q : questions) {
      if (roles.interviewer && q.speaker != *roles.interviewer) continue;
      for (auto k = q.first; k <= q.last; ++k) {
        const auto length = phrases.match(s, k).first;
        if (length == 0 || k + length - 1 > q.last) continue;
        flags.push_back({"protected-topic",
                         "A question about " + topic.name +
                             ": in many places an interviewer may not ask it, and a candidate "
                             "need not answer.",
                         {q.evidence}});
        break;
      }
    }
  }
  std::stable_sort(flags.begin(), flags.end(), [](const Finding& a, const Finding& b) {
    return a.evidence.front().start < b.evidence.front().start;
  });
  return flags;
}

}  // namespace companion::analysis
