// Transcripts as the product shows them: built from the recogniser's
// output, written as JSON, WebVTT, SubRip and text; and the delivery
// metrics measured from them.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "infra/http/json_text.hpp"
#include "modules/analysis/delivery.hpp"
#include "modules/transcription/transcript.hpp"

namespace companion::transcription {
namespace {

asr::TranscribedSegment recognised(int channel, double start, double end,
                                   std::vector<asr::Word> words) {
  asr::TranscribedSegment s;
  s.channel = channel;
  s.start = start;
  s.end = end;
  for (const auto& w : words) s.text += (s.text.empty() ? "" : " ") + w.text;
  s.words = std::move(words);
  return s;
}

Transcript two_speakers() {
  asr::Transcript r;
  r.channels = 2;
  r.duration = 12.0004;
  r.segments = {
      recognised(0, 0.15, 2.5, {{"tell", 0.2, 0.5, 0.91234}, {"me", 0.5, 0.7, 0.8}}),
      recognised(1, 3.0, 3.2, {}),  // nothing recognised: dropped
      recognised(1, 3.0, 9.0,
                 {{"i", 3.1, 3.2, 1},
                  {"led", 3.2, 3.6, 0.7},
                  {"it", 5.0, 5.3, 0.9},
                  {"well", 8.5, 8.9, 0.95}}),
      recognised(1, 9.5, 10.0, {{"done", 9.6, 9.9, 0.5}}),
  };
  return build_transcript(r);
}

TEST(Transcript, BuildsSpeakersPerChannelAndDropsEmptySegments) {
  auto t = two_speakers();
  ASSERT_EQ(t.speakers.size(), 2u);
  EXPECT_EQ(t.speakers[0].id, "S1");
  EXPECT_EQ(t.speakers[1].label, "Speaker 2");
  EXPECT_EQ(t.speakers[1].channel, 1);
  ASSERT_EQ(t.segments.size(), 3u);
  EXPECT_EQ(t.segments[0].id, 1);
  EXPECT_EQ(t.segments[1].id, 2);
  EXPECT_EQ(t.segments[1].speaker, "S2");
  EXPECT_DOUBLE_EQ(t.duration, 12.0);
  EXPECT_DOUBLE_EQ(t.segments[0].words[0].confidence, 0.912);
  EXPECT_EQ(t.text(), "tell me i led it well done");
}

TEST(Transcript, JsonRoundTripsThroughStorage) {
  auto t = two_speakers();
  auto segments =
      parse_segments(boost::json::parse(boost::json::serialize(segments_json(t.segments))));
  auto speakers =
      parse_speakers(boost::json::parse(boost::json::serialize(speakers_json(t.speakers))));
  ASSERT_EQ(segments.size(), t.segments.size());
  EXPECT_EQ(segments[1].words[2].word, "it");
  EXPECT_DOUBLE_EQ(segments[1].words[2].start, 5.0);
  EXPECT_EQ(speakers[1].id, "S2");
  auto json = http::to_json_text(to_json(t));
  EXPECT_NE(json.find("\"start\":0.15"), std::string::npos) << json;
  EXPECT_NE(json.find("\"language\""), std::string::npos);
}

TEST(Transcript, WebVttHasCuesWithVoices) {
  auto t = two_speakers();
  t.speakers[0].label = "Ana <interviewer>";
  EXPECT_EQ(to_webvtt(t),
            "WEBVTT\n"
            "\n1\n00:00:00.150 --> 00:00:02.500\n<v Ana &lt;interviewer&gt;>tell me\n"
            "\n2\n00:00:03.000 --> 00:00:09.000\n<v Speaker 2>i led it well\n"
            "\n3\n00:00:09.500 --> 00:00:10.000\n<v Speaker 2>done\n");
}

TEST(Transcript, SubRipNumbersCuesWithCommaMilliseconds) {
  auto t = two_speakers();
  EXPECT_EQ(to_subrip(t),
            "1\n00:00:00,150 --> 00:00:02,500\nSpeaker 1: tell me\n"
            "\n2\n00:00:03,000 --> 00:00:09,000\nSpeaker 2: i led it well\n"
            "\n3\n00:00:09,500 --> 00:00:10,000\nSpeaker 2: done\n");
}

TEST(Transcript, TextJoinsATurnIntoOneParagraph) {
  EXPECT_EQ(to_text(two_speakers()), "Speaker 1: tell me\n\nSpeaker 2: i led it well done\n");
}

TEST(Transcript, RedactionReplacesTheWordsOfEmailsPhonesAndCardsKeepingTheirTime) {
  asr::Transcript r;
  r.channels = 1;
  r.duration = 20;
  r.segments = {recognised(0, 0, 10,
                           {{"mail", 0.0, 0.5, 0.9},
                            {"ada@example.com", 0.5, 1.5, 0.8},
                            {"or", 1.5, 1.7, 0.9},
                            {"call", 1.7, 2.0, 0.9},
                            {"415", 2.0, 2.5, 0.7},
                            {"555", 2.5, 3.0, 0.6},
                            {"0132", 3.0, 3.5, 0.9},
                            {"card", 3.5, 4.0, 0.9},
                            {"4111", 4.0, 4.5, 0.9},
                            {"1111", 4.5, 5.0, 0.9},
                            {"1111", 5.0, 5.5, 0.5},
                            {"1111", 5.5, 6.0, 0.9},
                            {"thanks", 6.0, 6.5, 0.9}}),
                recognised(0, 11, 12, {{"nothing", 11.0, 11.5, 1}, {"here", 11.5, 12, 1}})};
  auto t = build_transcript(r);
  text::Redactor redactor;
  EXPECT_EQ(redact(t, redactor), 3u);
  EXPECT_EQ(t.segments[0].text, "mail [email] or call [phone] card [card] thanks");
  const auto& words = t.segments[0].words;
  ASSERT_EQ(words.size(), 8u);
  EXPECT_DOUBLE_EQ(words[4].start, 2.0);  // [phone] spans its three words
  EXPECT_DOUBLE_EQ(words[4].end, 3.5);
  EXPECT_DOUBLE_EQ(words[4].confidence, 0.6);
  EXPECT_DOUBLE_EQ(words[6].end, 6.0);
  EXPECT_EQ(t.segments[1].text, "nothing here");
  EXPECT_EQ(t.text().find("4111"), std::string::npos);
}

TEST(Transcript, HoursAreWrittenInTimestamps) {
  Transcript t;
  t.speakers = {{"S1", "Speaker 1", 0}};
  t.segments = {{1, "S1", 3725.5, 3726.25, "late", {{"late", 3725.5, 3726.25, 1}}}};
  EXPECT_NE(to_webvtt(t).find("01:02:05.500 --> 01:02:06.250"), std::string::npos);
}

}  // namespace
}  // namespace companion::transcription

namespace companion::analysis {
namespace {

TEST(Delivery, MeasuresTalkTimePaceMonologuesAndPauses) {
  auto t = transcription::two_speakers();
  auto d = measure_delivery(t);
  ASSERT_EQ(d.speakers.size(), 2u);
  const auto& a = d.speakers[0];
  const auto& b = d.speakers[1];
  EXPECT_NEAR(a.talk_seconds, 0.5, 1e-9);  // 0.2 .. 0.7
  EXPECT_EQ(a.words, 2u);
  EXPECT_NEAR(b.talk_seconds, 5.8 + 0.3, 1e-9);  // 3.1 .. 8.9, 9.6 .. 9.9
  EXPECT_EQ(b.words, 5u);
  EXPECT_NEAR(a.talk_ratio + b.talk_ratio, 1.0, 1e-9);
  EXPECT_NEAR(b.words_per_minute, 5 * 60 / 6.1, 1e-9);
  // S2's two segments are one turn: 3.1 .. 9.9.
  EXPECT_NEAR(b.longest_monologue_seconds, 6.8, 1e-9);
  // Gaps: 3.6 -> 5.0 (1.4 s) and 5.3 -> 8.5 (3.2 s, long); 8.9 -> 9.6 is short.
  EXPECT_EQ(b.pauses, 2u);
  ASSERT_EQ(b.long_pauses.size(), 1u);
  EXPECT_DOUBLE_EQ(b.long_pauses[0].start, 5.3);
  EXPECT_DOUBLE_EQ(b.long_pauses[0].end, 8.5);
  EXPECT_EQ(a.pauses, 0u);

  auto json = to_json(d);
  EXPECT_EQ(json.at("version").as_int64(), 1);
  EXPECT_EQ(json.at("speakers").as_array().size(), 2u);
}

TEST(Delivery, AnEmptyTranscriptHasZeroesNotNaN) {
  transcription::Transcript t;
  t.speakers = {{"S1", "Speaker 1", 0}};
  auto d = measure_delivery(t);
  ASSERT_EQ(d.speakers.size(), 1u);
  EXPECT_EQ(d.speakers[0].talk_ratio, 0);
  EXPECT_EQ(d.speakers[0].words_per_minute, 0);
}

}  // namespace
}  // namespace companion::analysis
