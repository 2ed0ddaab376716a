#pragma once
// Scripted interviews as transcripts: each line is a turn by a speaker,
// its words timed at the speaker's pace, with a gap between turns, in
// segments of at most 12 words (as the recogniser cuts them). A line
// marked as a question says so (the ground truth of question detection).
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "modules/transcription/transcript.hpp"

namespace companion::analysis::fixtures {

struct Line {
  std::string speaker;  // "S1", "S2"
  std::string text;
  bool question = false;  // ground truth: this turn ends in a question
  double gap = 0.8;       // seconds of silence before it
};

struct Script {
  std::vector<Line> lines;
  double seconds_per_word = 0.4;  // 150 words a minute
  bool stereo = true;             // S1 on channel 0, S2 on channel 1
};

// `lines`, when given, gets each segment's line index, by segment id - 1.
inline transcription::Transcript build(const Script& script,
                                       std::vector<std::size_t>* lines = nullptr) {
  transcription::Transcript t;
  t.language = "en-US";
  t.engine = "fixture";
  t.speakers = {{"S1", "Speaker 1", 0}, {"S2", "Speaker 2", script.stereo ? 1 : 0}};
  double now = 0;
  int next_id = 1;
  for (std::size_t index = 0; index < script.lines.size(); ++index) {
    const auto& line = script.lines[index];
    now += line.gap;
    std::istringstream words(line.text);
    std::string w;
    transcription::Segment segment;
    auto flush = [&] {
      if (segment.words.empty()) return;
      segment.id = next_id++;
      if (lines) lines->push_back(index);
      segment.speaker = line.speaker;
      segment.start = segment.words.front().start;
      segment.end = segment.words.back().end;
      for (const auto& word : segment.words)
        segment.text += (segment.text.empty() ? "" : " ") + word.word;
      t.segments.push_back(std::move(segment));
      segment = {};
    };
    while (words >> w) {
      const double start = std::round(now * 1000) / 1000;
      const double end = std::round((now + script.seconds_per_word * 0.8) * 1000) / 1000;
      segment.words.push_back({w, start, end, 0.9});
      now += script.seconds_per_word;
      if (segment.words.size() == 12) flush();
    }
    flush();
  }
  t.duration = std::round((now + 1.0) * 1000) / 1000;
  return t;
}

// A behavioural interview of about six minutes, unpunctuated as the
// offline recogniser writes: every kind of question the engine knows, STAR
// and non-STAR answers, fillers, a question on protected topics, and
// statements that look like questions but are not.
inline Script behavioural_interview() {
  return {{
      {"S1", "hi thanks for coming in today it is great to meet you", false},
      {"S2", "thank you for having me i am really excited to be here", false},
      {"S1", "so tell me about yourself", true},
      {"S2",
       "sure so um i am a backend engineer with six years of experience mostly in python and go "
       "at my last company i built the payments platform and before that i worked on search "
       "infrastructure what i enjoy most is making systems reliable",
       false},
      {"S1", "great what made you apply for this role", true},
      {"S2",
       "i have been following your work on kubernetes tooling and i like that the team owns "
       "its services end to end you know from design to operations",
       false},
      {"S1", "okay tell me about a time when you had a conflict with a colleague", true},
      {"S2",
       "at my previous job we were migrating our billing system to a new database and a senior "
       "colleague wanted to do it in one big weekend cutover my task was to plan the migration "
       "safely so i decided to set up a meeting with him and i proposed a gradual rollout with "
       "dual writes i wrote a short design document and we agreed to try it on ten percent of "
       "traffic first as a result we finished the migration two weeks early with zero downtime "
       "and he later asked me to present the approach to the whole department",
       false},
      {"S1", "that sounds like it went well", false},
      {"S1", "have you ever missed a deadline", true},
      {"S2",
       "um yes in my last role we had a launch for a new reporting feature and the estimates "
       "were kind of optimistic i think i started by splitting the work into smaller pieces and "
       "i talked to the product manager about what could wait",
       false},
      {"S1", "walk me through how you would design a url shortener", true},
      {"S2",
       "sure i would start with the api a post endpoint that takes a long url and returns a "
       "short code then a get endpoint that redirects i would store the mapping in postgres "
       "with a cache in front for the hot links and generate codes from a counter encoded in "
       "base sixty two",
       false},
      {"S1", "mhm", false, 0.3},
      {"S1", "and how do you usually handle feedback on your code", true},
      {"S2",
       "i try to take it as information not as criticism i ask questions until i understand the "
       "reviewer's point and then i decide what to change",
       false},
      {"S1", "could you give me an example of a project you led", true},
      {"S2",
       "we built a new alerting pipeline we wanted fewer false alarms so we grouped alerts by "
       "service and we added runbooks and we trained the on call rotation and our pages went "
       "down a lot we were very happy with it",
       false},
      {"S1",
       "thanks let me tell you a bit about the team we are eight engineers and we ship every "
       "day",
       false},
      {"S1", "are you planning to have children soon and where are you from originally", true},
      {"S2", "i would rather keep the focus on the role if that is okay", false},
      {"S1", "of course do you have any questions for us", true},
      {"S2", "yes what does a typical day look like for the team", true},
      {"S1",
       "most days start with a short standup and then focused work with reviews in the "
       "afternoon",
       false},
      {"S2", "that sounds great thank you", false},
  }};
}

// The job description the behavioural interview is measured against.
inline std::string backend_job_description() {
  return "We are looking for a Senior Backend Engineer to join our platform team. You will "
         "design and build APIs in Python and Go, run services on Kubernetes, and own "
         "PostgreSQL databases end to end. Experience with distributed systems and database "
         "migrations is required. You will mentor junior engineers, write design documents, "
         "and improve reliability and observability of our distributed systems. Kubernetes "
         "operators and PostgreSQL performance tuning are a plus.";
}

}  // namespace companion::analysis::fixtures
