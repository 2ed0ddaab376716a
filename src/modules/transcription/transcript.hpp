#pragma once
// A transcript as the product shows it: speakers with ids and labels, and
// segments with words, times in seconds from the start of the recording
// (millisecond precision). Built from the recogniser's output, stored as
// JSON, and written out as the contract's JSON, WebVTT, SubRip or text.
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "infra/asr/transcriber.hpp"
#include "infra/text/redactor.hpp"

namespace companion::transcription {

struct Speaker {
  std::string id;     // "S1", "S2", …
  std::string label;  // "Speaker 1" until the user renames it
  int channel = 0;    // the recording's channel (0 on a mono recording)
};

struct Word {
  std::string word;
  double start = 0;
  double end = 0;
  double confidence = 0;
};

struct Segment {
  int id = 0;  // 1, 2, … in time order
  std::string speaker;
  double start = 0;
  double end = 0;
  std::string text;
  std::vector<Word> words;
};

struct Transcript {
  std::string interview_id;
  std::string recording_id;
  std::string engine;
  std::string language;
  double duration = 0;
  std::vector<Speaker> speakers;
  std::vector<Segment> segments;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;

  std::string text() const;  // every segment's text, in order
  const Speaker* speaker(const std::string& id) const;
};

// From the recogniser's output: one speaker per channel; segments without
// words are dropped; times rounded to milliseconds.
Transcript build_transcript(const asr::Transcript& recognised);

// Replaces the words that make up an email address, a phone number or a
// card number with one word "[email]", "[phone]" or "[card]" spanning
// their time; segment texts are rebuilt from the words. Returns how many
// were replaced.
std::size_t redact(Transcript& t, const text::Redactor& redactor);

boost::json::value to_json(const Transcript& t);
boost::json::array speakers_json(const std::vector<Speaker>& speakers);
boost::json::array segments_json(const std::vector<Segment>& segments);
std::vector<Speaker> parse_speakers(const boost::json::value& v);
std::vector<Segment> parse_segments(const boost::json::value& v);

std::string to_webvtt(const Transcript& t);
std::string to_subrip(const Transcript& t);
// "Label: text" paragraphs, one per speaker turn.
std::string to_text(const Transcript& t);

}  // namespace companion::transcription
