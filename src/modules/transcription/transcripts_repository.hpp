#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infra/asr/transcriber.hpp"
#include "infra/db/database.hpp"
#include "modules/transcription/transcript.hpp"

namespace companion::transcription {

// Checkpointed segments of one recording, by (channel, first sample).
using Checkpoints = std::map<std::pair<int, std::uint64_t>, asr::TranscribedSegment>;

class TranscriptsRepository {
 public:
  // Inserts or replaces the interview's transcript.
  void save(db::Connection& c, const Transcript& t);
  std::optional<Transcript> find(db::Connection& c, const std::string& interview_id);
  void update_speakers(db::Connection& c, const std::string& interview_id,
                       const std::vector<Speaker>& speakers, std::int64_t now_ms);

  void add_checkpoints(db::Connection& c, const std::string& recording_id,
                       const std::vector<asr::TranscribedSegment>& segments);
  Checkpoints checkpoints(db::Connection& c, const std::string& recording_id);
  void clear_checkpoints(db::Connection& c, const std::string& recording_id);
  bool remove(db::Connection& c, const std::string& interview_id);
};

}  // namespace companion::transcription
