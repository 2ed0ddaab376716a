#include "modules/transcription/transcripts_repository.hpp"

#include <boost/json.hpp>

namespace companion::transcription {
namespace {

constexpr const char* kRemove = "DELETE FROM transcripts WHERE interview_id = $1";
constexpr const char* kSave =
    "INSERT INTO transcripts (interview_id, recording_id, engine, language, duration_ms, "
    "speakers, segments, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) "
    "ON CONFLICT (interview_id) DO UPDATE SET recording_id = excluded.recording_id, "
    "engine = excluded.engine, language = excluded.language, "
    "duration_ms = excluded.duration_ms, speakers = excluded.speakers, "
    "segments = excluded.segments, created_at = excluded.created_at, "
    "updated_at = excluded.updated_at";
constexpr const char* kFind =
    "SELECT recording_id, engine, language, duration_ms, speakers, segments, created_at, "
    "updated_at FROM transcripts WHERE interview_id = $1";
constexpr const char* kUpdateSpeakers =
    "UPDATE transcripts SET speakers = $2, updated_at = $3 WHERE interview_id = $1";
constexpr const char* kAddCheckpoint =
    "INSERT INTO transcript_checkpoints (recording_id, channel, begin_sample, end_sample, text, "
    "words, voice) VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "ON CONFLICT (recording_id, channel, begin_sample) DO NOTHING";
constexpr const char* kCheckpoints =
    "SELECT channel, begin_sample, end_sample, text, words, voice FROM transcript_checkpoints "
    "WHERE recording_id = $1";
constexpr const char* kClearCheckpoints =
    "DELETE FROM transcript_checkpoints WHERE recording_id = $1";

constexpr int kRate = 16000;

constexpr const char* kSpeakers = "transcripts.speakers";
constexpr const char* kSegments = "transcripts.segments";
constexpr const char* kCheckpointText = "transcript_checkpoints.text";
constexpr const char* kCheckpointWords = "transcript_checkpoints.words";
constexpr const char* kCheckpointVoice = "transcript_checkpoints.voice";

std::string checkpoint_row(const std::string& recording_id, std::int64_t channel,
                           std::int64_t begin_sample) {
  return recording_id + ":" + std::to_string(channel) + ":" + std::to_string(begin_sample);
}

}  // namespace

void TranscriptsRepository::save(db::Connection& c, const std::string& user_id,
                                 const Transcript& t) {
  auto seal = keys_.live_fields_for_writing_in(c, user_id);
  if (!seal) return;  // the account is being erased
  const auto& id = t.interview_id;
  c.execute(kSave, {id, t.recording_id, t.engine, t.language,
                    static_cast<std::int64_t>(std::llround(t.duration * 1000)),
                    seal->seal(kSpeakers, id, boost::json::serialize(speakers_json(t.speakers))),
                    seal->seal(kSegments, id, boost::json::serialize(segments_json(t.segments))),
                    t.created_at_ms});
}

std::optional<Transcript> TranscriptsRepository::find(db::Connection& c, const std::string& user_id,
                                                      const std::string& interview_id) {
  auto row = c.query_one(kFind, {interview_id});
  if (!row) return std::nullopt;
  auto seal = keys_.fields_for_reading_in(c, user_id);
  if (seal.is_shredded()) return std::nullopt;  // the account is being erased
  Transcript t;
  t.interview_id = interview_id;
  t.recording_id = row->text(0);
  t.engine = row->text(1);
  t.language = row->text(2);
  t.duration = static_cast<double>(row->int64(3)) / 1000.0;
  t.speakers =
      parse_speakers(boost::json::parse(seal.open(kSpeakers, interview_id, row->text_view(4))));
  t.segments =
      parse_segments(boost::json::parse(seal.open(kSegments, interview_id, row->text_view(5))));
  t.created_at_ms = row->int64(6);
  t.updated_at_ms = row->int64(7);
  return t;
}

void TranscriptsRepository::update_speakers(db::Connection& c, const std::string& user_id,
                                            const std::string& interview_id,
                                            const std::vector<Speaker>& speakers,
                                            std::int64_t now_ms) {
  auto seal = keys_.live_fields_for_writing_in(c, user_id);
  if (!seal) return;  // the account is being erased
  c.execute(kUpdateSpeakers,
            {interview_id,
             seal->seal(kSpeakers, interview_id, boost::json::serialize(speakers_json(speakers))),
             now_ms});
}

void TranscriptsRepository::add_checkpoints(db::Connection& c, const std::string& user_id,
                                            const std::string& recording_id,
                                            const std::vector<asr::TranscribedSegment>& segments) {
  if (segments.empty()) return;
  auto seal = keys_.live_fields_for_writing_in(c, user_id);
  if (!seal) return;  // the account is being erased
  for (const auto& s : segments) {
    // Full precision: a resumed run must give the same transcript.
    boost::json::array words;
    for (const auto& w : s.words)
      words.push_back(boost::json::array{w.text, w.start, w.end, w.confidence});
    boost::json::array voice;
    for (float v : s.voice) voice.push_back(static_cast<double>(v));
    auto begin = static_cast<std::int64_t>(s.begin_sample);
    auto row = checkpoint_row(recording_id, s.channel, begin);
    c.execute(kAddCheckpoint,
              {recording_id, s.channel, begin, static_cast<std::int64_t>(s.end_sample),
               seal->seal(kCheckpointText, row, s.text),
               seal->seal(kCheckpointWords, row, boost::json::serialize(words)),
               seal->seal(kCheckpointVoice, row, boost::json::serialize(voice))});
  }
}

Checkpoints TranscriptsRepository::checkpoints(db::Connection& c, const std::string& user_id,
                                               const std::string& recording_id) {
  Checkpoints out;
  auto rows = c.query(kCheckpoints, {recording_id});
  if (rows.empty()) return out;
  auto seal = keys_.fields_for_reading_in(c, user_id);
  if (seal.is_shredded()) return out;
  for (const auto& r : rows) {
    asr::TranscribedSegment s;
    s.channel = static_cast<int>(r.int64(0));
    s.begin_sample = static_cast<std::uint64_t>(r.int64(1));
    s.end_sample = static_cast<std::uint64_t>(r.int64(2));
    s.start = double(s.begin_sample) / kRate;
    s.end = double(s.end_sample) / kRate;
    auto row = checkpoint_row(recording_id, r.int64(0), r.int64(1));
    s.text = seal.open(kCheckpointText, row, r.text(3));
    auto words = boost::json::parse(seal.open(kCheckpointWords, row, r.text(4)));
    for (const auto& w : words.as_array()) {
      const auto& a = w.as_array();
      s.words.push_back({std::string(a.at(0).as_string()), a.at(1).to_number<double>(),
                         a.at(2).to_number<double>(), a.at(3).to_number<double>()});
    }
    auto voice = boost::json::parse(seal.open(kCheckpointVoice, row, r.text(5)));
    for (const auto& v : voice.as_array())
      s.voice.push_back(static_cast<float>(v.to_number<double>()));
    out.emplace(std::make_pair(s.channel, s.begin_sample), std::move(s));
  }
  return out;
}

void TranscriptsRepository::clear_checkpoints(db::Connection& c, const std::string& recording_id) {
  c.execute(kClearCheckpoints, {recording_id});
}

bool TranscriptsRepository::remove(db::Connection& c, const std::string& interview_id) {
  return c.execute(kRemove, {interview_id}) > 0;
}

}  // namespace companion::transcription
