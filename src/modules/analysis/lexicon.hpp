#pragma once
// The words and phrases the analysis looks for, as normalised text
// (words.hpp): the default filler and hedge lexicons (operators replace
// them through AnalysisSettings), the cues of questions and of STAR
// answers, protected topics, and the stop words and common words that job
// descriptions are read against. docs/analysis.md lists what each holds
// and why.
#include <string>
#include <string_view>
#include <vector>

namespace companion::analysis::lexicon {

std::vector<std::string> default_fillers();
std::vector<std::string> default_hedges();

// Question cues (content.cpp says how they combine).
bool is_wh_word(std::string_view w);              // what, how, why, …, what's
bool is_auxiliary(std::string_view w);            // do, did, can, would, is, …
bool is_subject(std::string_view w);              // you, we, there, it, …
bool follows_wh_in_question(std::string_view w);  // what *kind*, how *many*, …
bool is_discourse_marker(std::string_view w);     // so, okay, and, great, …
std::vector<std::string> imperative_questions();  // tell me, walk me through, …
std::vector<std::string> behavioural_cues();      // tell me about a time, …

// STAR cues, one list per part.
std::vector<std::string> situation_cues();
std::vector<std::string> task_cues();
std::vector<std::string> action_cues();
std::vector<std::string> result_cues();

bool is_first_person_singular(std::string_view w);  // i, me, my, i'm, …
bool is_first_person_plural(std::string_view w);    // we, us, our, we're, …

struct ProtectedTopic {
  std::string name;  // "age", "family plans", …
  std::vector<std::string> phrases;
};
const std::vector<ProtectedTopic>& protected_topics();

bool is_stop_word(std::string_view w);
// Among the most frequent English words, or words every job description
// uses ("experience", "team", "role"): low weight as key terms.
bool is_common_word(std::string_view w);
bool is_number_word(std::string_view w);  // "twenty", "half", "doubled", …

}  // namespace companion::analysis::lexicon
