#include "modules/transcription/transcript.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "infra/asr/diarization.hpp"

namespace companion::transcription {
namespace {

double ms(double seconds) {
  return std::round(seconds * 1000.0) / 1000.0;
}

// hh:mm:ss.mmm (WebVTT) or hh:mm:ss,mmm (SubRip).
std::string timestamp(double seconds, char separator) {
  auto total = static_cast<std::int64_t>(std::llround(std::max(seconds, 0.0) * 1000.0));
  char buf[32];
  std::snprintf(
      buf, sizeof buf, "%02lld:%02lld:%02lld%c%03lld", static_cast<long long>(total / 3'600'000),
      static_cast<long long>(total / 60'000 % 60), static_cast<long long>(total / 1000 % 60),
      separator, static_cast<long long>(total % 1000));
  return buf;
}

std::string label_of(const Transcript& t, const std::string& speaker) {
  const auto* s = t.speaker(speaker);
  return s ? s->label : speaker;
}

// Cue text must not close the cue early or read as markup.
std::string cue_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

double number(const boost::json::value& v) {
  return v.is_double() ? v.get_double() : v.to_number<double>();
}

}  // namespace

std::string Transcript::text() const {
  std::string out;
  for (const auto& s : segments) {
    if (!out.empty()) out += ' ';
    out += s.text;
  }
  return out;
}

const Speaker* Transcript::speaker(const std::string& id) const {
  for (const auto& s : speakers)
    if (s.id == id) return &s;
  return nullptr;
}

std::size_t redact(Transcript& t, const text::Redactor& redactor) {
  std::size_t replaced = 0;
  for (auto& segment : t.segments) {
    // The words joined by spaces, and where each one starts.
    std::string joined;
    std::vector<std::size_t> starts;
    for (const auto& w : segment.words) {
      if (!joined.empty()) joined += ' ';
      starts.push_back(joined.size());
      joined += w.word;
    }
    auto found = redactor.find(joined);
    if (found.empty()) continue;
    std::vector<Word> words;
    std::size_t k = 0;  // the next finding
    for (std::size_t i = 0; i < segment.words.size(); ++i) {
      auto begin = starts[i];
      auto end = begin + segment.words[i].word.size();
      while (k < found.size() && found[k].end <= begin) ++k;
      if (k < found.size() && found[k].begin < end) {
        // Part of a finding: the first of its words becomes the label, the
        // others extend it.
        bool continues = !words.empty() && words.back().word == found[k].label && i > 0 &&
                         starts[i - 1] < found[k].end &&
                         starts[i - 1] + segment.words[i - 1].word.size() > found[k].begin;
        if (continues) {
          words.back().end = segment.words[i].end;
          words.back().confidence = std::min(words.back().confidence, segment.words[i].confidence);
        } else {
          auto w = segment.words[i];
          w.word = std::string(found[k].label);
          words.push_back(std::move(w));
          ++replaced;
        }
        continue;
      }
      words.push_back(segment.words[i]);
    }
    segment.words = std::move(words);
    segment.text.clear();
    for (const auto& w : segment.words) {
      if (!segment.text.empty()) segment.text += ' ';
      segment.text += w.word;
    }
  }
  return replaced;
}

Transcript build_transcript(const asr::Transcript& recognised) {
  Transcript t;
  t.duration = ms(recognised.duration);
  const int channels = std::max(recognised.channels, 1);
  std::vector<const asr::TranscribedSegment*> spoken;
  for (const auto& r : recognised.segments)
    if (!r.words.empty()) spoken.push_back(&r);
  // Stereo: a speaker per channel. Mono: voices told apart by diarization.
  std::vector<int> speaker_of(spoken.size(), 0);
  if (channels == 1) {
    std::vector<std::vector<float>> prints;
    std::vector<double> durations;
    for (const auto* r : spoken) {
      prints.push_back(r->voice);
      durations.push_back(r->end - r->start);
    }
    speaker_of = asr::diarize(prints, durations);
    const bool two = std::find(speaker_of.begin(), speaker_of.end(), 1) != speaker_of.end();
    t.speakers.push_back({"S1", "Speaker 1", 0});
    if (two) t.speakers.push_back({"S2", "Speaker 2", 0});
  } else {
    for (int c = 0; c < channels; ++c) {
      auto n = std::to_string(c + 1);
      t.speakers.push_back({"S" + n, "Speaker " + n, c});
    }
    for (std::size_t k = 0; k < spoken.size(); ++k)
      speaker_of[k] = std::clamp(spoken[k]->channel, 0, channels - 1);
  }
  int id = 0;
  for (std::size_t k = 0; k < spoken.size(); ++k) {
    const auto& r = *spoken[k];
    Segment s;
    s.id = ++id;
    s.speaker = "S" + std::to_string(speaker_of[k] + 1);
    s.start = ms(r.start);
    s.end = ms(r.end);
    s.text = r.text;
    for (const auto& w : r.words)
      s.words.push_back({w.text, ms(w.start), ms(w.end), std::round(w.confidence * 1000) / 1000});
    t.segments.push_back(std::move(s));
  }
  return t;
}

boost::json::array speakers_json(const std::vector<Speaker>& speakers) {
  boost::json::array out;
  for (const auto& s : speakers)
    out.push_back(boost::json::object{{"id", s.id}, {"label", s.label}, {"channel", s.channel}});
  return out;
}

boost::json::array segments_json(const std::vector<Segment>& segments) {
  boost::json::array out;
  out.reserve(segments.size());
  for (const auto& s : segments) {
    boost::json::array words;
    words.reserve(s.words.size());
    for (const auto& w : s.words)
      words.push_back(boost::json::object{
          {"word", w.word}, {"start", w.start}, {"end", w.end}, {"confidence", w.confidence}});
    out.push_back(boost::json::object{{"id", s.id},
                                      {"speaker", s.speaker},
                                      {"start", s.start},
                                      {"end", s.end},
                                      {"text", s.text},
                                      {"words", std::move(words)}});
  }
  return out;
}

std::vector<Speaker> parse_speakers(const boost::json::value& v) {
  std::vector<Speaker> out;
  for (const auto& item : v.as_array()) {
    const auto& o = item.as_object();
    out.push_back({std::string(o.at("id").as_string()), std::string(o.at("label").as_string()),
                   static_cast<int>(o.at("channel").to_number<std::int64_t>())});
  }
  return out;
}

std::vector<Segment> parse_segments(const boost::json::value& v) {
  std::vector<Segment> out;
  for (const auto& item : v.as_array()) {
    const auto& o = item.as_object();
    Segment s;
    s.id = static_cast<int>(o.at("id").to_number<std::int64_t>());
    s.speaker = std::string(o.at("speaker").as_string());
    s.start = number(o.at("start"));
    s.end = number(o.at("end"));
    s.text = std::string(o.at("text").as_string());
    for (const auto& w : o.at("words").as_array()) {
      const auto& wo = w.as_object();
      s.words.push_back({std::string(wo.at("word").as_string()), number(wo.at("start")),
                         number(wo.at("end")), number(wo.at("confidence"))});
    }
    out.push_back(std::move(s));
  }
  return out;
}

boost::json::value to_json(const Transcript& t) {
  return boost::json::object{{"language", t.language},
                             {"durationSeconds", t.duration},
                             {"engine", t.engine},
                             {"text", t.text()},
                             {"speakers", speakers_json(t.speakers)},
                             {"segments", segments_json(t.segments)}};
}

std::string to_webvtt(const Transcript& t) {
  std::string out = "WEBVTT\n";
  for (const auto& s : t.segments) {
    out += "\n" + std::to_string(s.id) + "\n" + timestamp(s.start, '.') + " --> " +
           timestamp(s.end, '.') + "\n<v " + cue_text(label_of(t, s.speaker)) + ">" +
           cue_text(s.text) + "\n";
  }
  return out;
}

std::string to_subrip(const Transcript& t) {
  std::string out;
  for (const auto& s : t.segments) {
    if (!out.empty()) out += "\n";
    out += std::to_string(s.id) + "\n" + timestamp(s.start, ',') + " --> " + timestamp(s.end, ',') +
           "\n" + label_of(t, s.speaker) + ": " + s.text + "\n";
  }
  return out;
}

std::string to_text(const Transcript& t) {
  std::string out;
  const std::string* current = nullptr;
  for (const auto& s : t.segments) {
    if (!current || *current != s.speaker) {
      if (current) out += "\n\n";
      out += label_of(t, s.speaker) + ": ";
      current = &s.speaker;
    } else {
      out += ' ';
    }
    out += s.text;
  }
  if (!out.empty()) out += "\n";
  return out;
}

}  // namespace companion::transcription
