#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infra/asr/transcriber.hpp"
#include "infra/db/database.hpp"
#include "modules/transcription/transcript.hpp"
#include "modules/users/data_keys.hpp"

namespace companion::transcription {

// Checkpointed segments of one recording, by (channel, first sample).
using Checkpoints = std::map<std::pair<int, std::uint64_t>, asr::TranscribedSegment>;

// The words, speakers and voice features are stored sealed with the
// owner's data key (users/field_seal.hpp); `user_id` names the owner. For
// an account being erased, writes store nothing.
class TranscriptsRepository {
 public:
  explicit TranscriptsRepository(users::DataKeys& keys) : keys_(keys) {}

  // Inserts or replaces the interview's transcript.
  void save(db::Connection& c, const std::string& user_id, const Transcript& t);
  std::optional<Transcript> find(db::Connection& c, const std::string& user_id,
                                 const std::string& interview_id);
  void update_speakers(db::Connection& c, const std::string& user_id,
                       const std::string& interview_id, const std::vector<Speaker>& speakers,
                       std::int64_t now_ms);

  void add_checkpoints(db::Connection& c, const std::string& user_id,
                       const std::string& recording_id,
                       const std::vector<asr::TranscribedSegment>& segments);
  Checkpoints checkpoints(db::Connection& c, const std::string& user_id,
                          const std::string& recording_id);
  void clear_checkpoints(db::Connection& c, const std::string& recording_id);
  bool remove(db::Connection& c, const std::string& interview_id);

 private:
  users::DataKeys& keys_;
};

}  // namespace companion::transcription
