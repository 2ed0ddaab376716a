#include "modules/analysis/lexicon.hpp"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace companion::analysis::lexicon {
namespace {

using WordSet = std::unordered_set<std::string_view>;

bool in(const WordSet& set, std::string_view w) {
  return set.contains(w);
}

}  // namespace

// "am": pocketsphinx writes a spoken "um" or "erm" as "am" (measured:
// docs/analysis.md); conversation.cpp counts it only where it cannot be
// the verb ("I am").
std::vector<std::string> default_fillers() {
  return {"um",        "am",      "uh",       "er",      "erm",       "ah",
          "hmm",       "like",    "you know", "i mean",  "basically", "actually",
          "literally", "sort of", "kind of",  "you see", "so yeah"};
}

std::vector<std::string> default_hedges() {
  return {"i think",   "maybe",        "i guess",     "probably",    "perhaps",
          "i suppose", "i believe",    "possibly",    "i feel like", "i'm not sure",
          "not sure",  "more or less", "i would say", "somewhat"};
}

bool is_wh_word(std::string_view w) {
  static const WordSet words{"what",  "why",   "how",    "when",   "where", "which",
                             "who",   "whose", "whom",   "what's", "how's", "where's",
                             "who's", "why's", "when's", "whats",  "hows"};
  return in(words, w);
}

bool is_auxiliary(std::string_view w) {
  static const WordSet words{"do",       "does",   "did",      "have",    "has",     "had",
                             "is",       "are",    "was",      "were",    "can",     "could",
                             "would",    "will",   "should",   "shall",   "may",     "might",
                             "must",     "don't",  "didn't",   "doesn't", "haven't", "hasn't",
                             "isn't",    "aren't", "wasn't",   "weren't", "can't",   "couldn't",
                             "wouldn't", "won't",  "shouldn't"};
  return in(words, w);
}

bool is_subject(std::string_view w) {
  static const WordSet words{"you", "your", "we",     "they",    "there", "it",   "i",
                             "he",  "she",  "anyone", "anybody", "that",  "this", "someone"};
  return in(words, w);
}

bool follows_wh_in_question(std::string_view w) {
  static const WordSet words{
      "kind",      "sort",      "type",       "types",        "part",    "about",   "if",
      "else",      "made",      "makes",      "happened",     "happens", "many",    "much",
      "long",      "often",     "well",       "far",          "old",     "soon",    "motivates",
      "motivated", "interests", "interested", "excites",      "drew",    "brought", "led",
      "attracted", "would",     "exactly",    "specifically", "role",    "steps",   "challenges",
      "was",       "were",      "is",         "are",          "do",      "did",     "does",
      "have",      "has",       "had",        "can",          "could",   "will",    "should"};
  return in(words, w);
}

bool is_discourse_marker(std::string_view w) {
  static const WordSet words{
      "so",          "okay",      "ok",         "and",    "great",     "thanks",  "thank",
      "alright",     "right",     "now",        "well",   "good",      "cool",    "perfect",
      "interesting", "excellent", "next",       "then",   "yeah",      "yes",     "sure",
      "but",         "also",      "um",         "uh",     "anyway",    "fine",    "nice",
      "wonderful",   "mhm",       "understood", "lovely", "fantastic", "awesome", "first",
      "finally",     "lastly",    "course"};
  return in(words, w);
}

std::vector<std::string> imperative_questions() {
  return {"tell me",          "tell us",
          "walk me through",  "walk us through",
          "talk me through",  "take me through",
          "describe",         "give me an example",
          "give me",          "give us an example",
          "share an example", "share with me",
          "explain",          "talk about",
          "talk to me about", "talk to us about",
          "tell me about",    "please describe",
          "please explain",   "please tell me"};
}

std::vector<std::string> behavioural_cues() {
  // "the time" too: the recogniser often hears "a time" as "the time".
  return {"tell me about a time",
          "tell me about the time",
          "tell us about the time",
          "the time when",
          "the time you",
          "tell us about a time",
          "a time when",
          "a time you",
          "a time where",
          "give me an example",
          "give us an example",
          "an example of",
          "describe a situation",
          "describe a time",
          "have you ever",
          "walk me through a time",
          "tell me about a situation",
          "a situation where",
          "a situation when",
          "a situation in which",
          "how did you handle",
          "how did you deal",
          "what did you do when",
          "share an example",
          "think of a time",
          "recall a time",
          "tell me about a project",
          "tell me about a challenge",
          "the last time you",
          "describe a project",
          "describe a challenge"};
}

std::vector<std::string> situation_cues() {
  // Without their preposition too: the recogniser mishears short words
  // ("at my previous job" as "and my previous job").
  return {"my previous job",
          "my last job",
          "my previous role",
          "my last role",
          "my previous company",
          "my last company",
          "my current job",
          "my current role",
          "when i was",
          "at my previous",
          "at my last",
          "in my previous",
          "in my last",
          "in my current",
          "at my current",
          "i was working",
          "i was working at",
          "we were",
          "there was a",
          "the situation",
          "the context",
          "back in",
          "a few years ago",
          "last year",
          "at the time",
          "in my role as",
          "i worked at",
          "while working",
          "i was a",
          "i was the",
          "we had a",
          "our team was",
          "the company was",
          "a couple of years ago",
          "years ago",
          "one time",
          "at a previous",
          "at one point"};
}

std::vector<std::string> task_cues() {
  return {"my task",          "my goal",           "i was responsible", "my responsibility",
          "i needed to",      "i had to",          "we needed to",      "we had to",
          "the goal was",     "the challenge was", "my job was",        "i was asked to",
          "my role was",      "the problem was",   "the objective",     "our goal",
          "i was tasked",     "i was in charge",   "it was my job",     "the task was",
          "i had been asked", "the issue was",     "we were asked to",  "the deadline was"};
}

std::vector<std::string> action_cues() {
  return {"i decided",     "i started",    "i created",     "i built",        "i led",
          "i organized",   "i organised",  "i implemented", "i worked with",  "i talked to",
          "i reached out", "i set up",     "i designed",    "i wrote",        "i proposed",
          "i analyzed",    "i analysed",   "i made",        "i took",         "i scheduled",
          "i introduced",  "i changed",    "i developed",   "i coordinated",  "i focused",
          "i met with",    "i spoke with", "i gathered",    "i prioritized",  "i prioritised",
          "i suggested",   "i negotiated", "i rewrote",     "i automated",    "i migrated",
          "i trained",     "i mentored",   "i presented",   "i convinced",    "i investigated",
          "i fixed",       "i added",      "i broke",       "i split",        "i ran",
          "i asked",       "i called",     "i sat down",    "i put together", "i drafted",
          "i tested",      "i measured",   "i refactored",  "i reviewed",     "i escalated",
          "so i",          "what i did",   "my approach",   "i went",         "i used"};
}

std::vector<std::string> result_cues() {
  return {"as a result",
          "the result",
          "in the end",
          "ended up",
          "which led to",
          "that led to",
          "the outcome",
          "we reduced",
          "we increased",
          "we improved",
          "we saved",
          "we delivered",
          "we launched",
          "we shipped",
          "i reduced",
          "i increased",
          "i improved",
          "i saved",
          "i delivered",
          "reduced",
          "increased",
          "improved",
          "on time",
          "i learned",
          "i learnt",
          "we learned",
          "the impact",
          "resulted in",
          "which meant",
          "so that",
          "doubled",
          "halved",
          "cut",
          "grew",
          "finally we",
          "eventually",
          "successfully",
          "the feedback was",
          "was promoted",
          "got promoted",
          "went live",
          "under budget",
          "ahead of schedule"};
}

bool is_first_person_singular(std::string_view w) {
  static const WordSet words{"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"};
  return in(words, w);
}

bool is_first_person_plural(std::string_view w) {
  static const WordSet words{"we",    "us",    "our",  "ours", "ourselves",
                             "we're", "we've", "we'd", "we'll"};
  return in(words, w);
}

const std::vector<ProtectedTopic>& protected_topics() {
  static const std::vector<ProtectedTopic> topics{
      {"age",
       {"how old are you", "your age", "what year were you born", "when were you born",
        "year of birth", "date of birth", "how old", "close to retirement", "plan to retire",
        "planning to retire", "when did you graduate from high school"}},
      {"family plans",
       {"have children", "have kids", "any children", "any kids", "plan to have",
        "planning to have", "start a family", "family plans", "childcare", "child care",
        "your children", "your kids"}},
      {"religion",
       {"religion", "religious", "church", "mosque", "synagogue", "temple", "pray",
        "what holidays do you", "your faith", "christian", "muslim", "jewish", "hindu",
        "buddhist"}},
      {"nationality",
       {"where are you from", "where were you born", "your nationality", "what nationality",
        "are you a citizen", "citizenship", "native language", "mother tongue", "your accent",
        "originally from", "what country are you", "your ethnicity", "ethnic"}},
      {"health",
       {"health problems", "health issues", "medical condition", "medical conditions", "medication",
        "medications", "sick days", "illness", "illnesses", "your health", "mental health",
        "chronic", "in therapy"}},
      {"disability",
       {"disability", "disabilities", "disabled", "handicap", "handicapped", "wheelchair"}},
      {"marital status",
       {"are you married", "married", "your husband", "your wife", "your spouse", "spouse",
        "divorced", "engaged", "your boyfriend", "your girlfriend", "maiden name",
        "your partner's"}},
      {"pregnancy",
       {"pregnant", "pregnancy", "maternity", "expecting a baby", "expecting a child"}},
      {"sexual orientation", {"sexual orientation", "are you gay", "are you straight"}},
  };
  return topics;
}

bool is_stop_word(std::string_view w) {
  static const WordSet words{
      "a",         "about",     "above",      "after",   "again",  "against",  "all",
      "am",        "an",        "and",        "any",     "are",    "as",       "at",
      "be",        "because",   "been",       "before",  "being",  "below",    "between",
      "both",      "but",       "by",         "can",     "could",  "did",      "do",
      "does",      "doing",     "down",       "during",  "each",   "few",      "for",
      "from",      "further",   "had",        "has",     "have",   "having",   "he",
      "her",       "here",      "hers",       "herself", "him",    "himself",  "his",
      "how",       "i",         "if",         "in",      "into",   "is",       "it",
      "its",       "itself",    "just",       "me",      "more",   "most",     "my",
      "myself",    "no",        "nor",        "not",     "now",    "of",       "off",
      "on",        "once",      "only",       "or",      "other",  "our",      "ours",
      "ourselves", "out",       "over",       "own",     "same",   "she",      "should",
      "so",        "some",      "such",       "than",    "that",   "the",      "their",
      "theirs",    "them",      "themselves", "then",    "there",  "these",    "they",
      "this",      "those",     "through",    "to",      "too",    "under",    "until",
      "up",        "very",      "was",        "we",      "were",   "what",     "when",
      "where",     "which",     "while",      "who",     "whom",   "why",      "will",
      "with",      "would",     "you",        "your",    "yours",  "yourself", "yourselves",
      "also",      "etc",       "i'm",        "i've",    "i'd",    "i'll",     "we're",
      "we've",     "you're",    "you've",     "it's",    "that's", "there's",  "don't",
      "didn't",    "doesn't",   "isn't",      "aren't",  "wasn't", "weren't",  "can't",
      "won't",     "shall",     "may",        "might",   "must",   "um",       "uh",
      "yeah",      "okay",      "ok",         "oh",      "well",   "like",     "really",
      "actually",  "basically", "just",       "kind",    "sort",   "know",     "mean",
      "e.g",       "i.e",       "via",        "per",     "within", "across",   "including",
      "us",        "whether",   "every",      "many",    "much",   "get",      "got",
      "go",        "going",     "one",        "two",     "three",  "new",      "well",
      "able",      "must",      "want"};
  return in(words, w);
}

bool is_common_word(std::string_view w) {
  static const WordSet words{
      // Job-description words every posting has.
      "experience", "team", "teams", "role", "work", "working", "ability", "strong", "skills",
      "skill", "years", "year", "responsibilities", "requirements", "required", "preferred", "plus",
      "candidate", "candidates", "position", "opportunity", "company", "join", "looking",
      "responsible", "including", "knowledge", "understanding", "excellent", "good", "great",
      "ideal", "environment", "help", "people", "job", "apply", "benefits", "salary", "equal",
      "employer", "please", "day", "days", "based", "related", "relevant", "field", "degree",
      "bachelor's", "bachelor", "master's", "minimum", "least", "will", "using", "use", "make",
      "making", "build", "building", "develop", "developing", "support", "ensure", "across",
      "within", "part", "high", "quality", "best", "new", "level", "time", "fast", "paced", "self",
      "well", "written", "verbal", "communication", "communicate", "skills", "closely",
      "collaborate", "collaborative", "others", "ownership", "passion", "passionate", "engineer",
      "engineers", "senior", "junior", "developer", "developers", "manager", "staff", "principal",
      "member", "members",
      // Among the most frequent English words.
      "thing", "things", "way", "ways", "lot", "lots", "need", "needs", "take", "see", "come",
      "think", "look", "want", "give", "first", "last", "long", "little", "own", "old", "right",
      "big", "different", "small", "large", "next", "early", "young", "important", "public", "bad",
      "same", "able", "say", "said", "tell", "ask", "try", "call", "keep", "let", "put", "mean",
      "become", "leave", "show", "hear", "play", "run", "move", "live", "believe", "bring",
      "happen", "write", "provide", "sit", "stand", "lose", "pay", "meet", "include", "continue",
      "set", "learn", "change", "lead", "understand", "watch", "follow", "stop", "create", "speak",
      "read", "allow", "add", "spend", "grow", "open", "walk", "win", "offer", "remember", "love",
      "consider", "appear", "buy", "wait", "serve", "die", "send", "expect", "stay", "fall", "cut",
      "reach", "kill", "remain", "suggest", "raise", "pass", "sell", "require", "report", "decide",
      "pull", "world", "life", "hand", "place", "case", "week", "point", "government", "number",
      "group", "problem", "fact", "part", "area", "money", "story", "month", "right", "study",
      "book", "eye", "word", "business", "issue", "side", "kind", "head", "house", "service",
      "friend", "father", "power", "hour", "game", "line", "end", "member", "law", "car", "city",
      "community", "name", "president", "idea", "body", "information", "back", "parent", "face",
      "level", "office", "door", "health", "person", "art", "war", "history", "party", "result",
      "morning", "reason", "research", "girl", "guy", "moment", "air", "teacher", "force",
      "education"};
  return in(words, w);
}

bool is_number_word(std::string_view w) {
  static const WordSet words{
      "two",   "three",   "four",    "five",    "six",     "seven",    "eight",   "nine",
      "ten",   "eleven",  "twelve",  "fifteen", "twenty",  "thirty",   "forty",   "fifty",
      "sixty", "seventy", "eighty",  "ninety",  "hundred", "thousand", "million", "billion",
      "half",  "double",  "doubled", "tripled", "triple",  "percent",  "twice",   "thrice"};
  if (in(words, w)) return true;
  return std::any_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace companion::analysis::lexicon
