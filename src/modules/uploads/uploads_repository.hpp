#pragma once
// Named SQL for tus uploads and their committed segments.
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"
#include "modules/uploads/upload.hpp"

namespace companion::uploads {

// A user's unfinished uploads: how many, and the bytes they claim.
struct OpenUploads {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
};

class UploadsRepository {
 public:
  void insert(db::Connection& c, const Upload& u);
  std::optional<Upload> find(db::Connection& c, const std::string& user_id, const std::string& id);
  std::optional<Upload> find_any(db::Connection& c, const std::string& id);
  // The user's final upload for the interview made of exactly these
  // partial uploads, in this order: what a retried concatenation made the
  // first time.
  std::optional<Upload> find_final(db::Connection& c, const std::string& user_id,
                                   const std::string& interview_id,
                                   const std::vector<std::string>& parts);
  std::vector<UploadSegment> segments(db::Connection& c, const std::string& id);
  std::int64_t segment_count(db::Connection& c, const std::string& id);
  // Appends a committed segment if the upload is still at `expected`
  // offset; false (nothing changed) when another request moved it first.
  bool append_segment(db::Connection& c, const std::string& id, std::uint64_t expected,
                      const UploadSegment& segment, std::int64_t expires_at_ms);
  void set_length(db::Connection& c, const std::string& id, std::uint64_t length);
  void set_previous_status(db::Connection& c, const std::string& id, const std::string& status);
  void touch(db::Connection& c, const std::string& id, std::int64_t expires_at_ms);
  // Marks the upload finished; false when it already was.
  bool mark_completed(db::Connection& c, const std::string& id, std::int64_t now_ms);
  // Hands a partial upload's segments to a final upload, shifted to where
  // the partial starts in it.
  void move_segments(db::Connection& c, const std::string& from, const std::string& to,
                     std::uint64_t shift);
  // Forgets the segment rows (their objects now belong to a recording).
  void drop_segments(db::Connection& c, const std::string& id);
  void remove(db::Connection& c, const std::string& id);
  // Uploads whose expiry has passed, oldest first.
  std::vector<std::string> expired(db::Connection& c, std::int64_t now_ms, int limit);
  // Uploads that have every byte but were not turned into a recording (the
  // process stopped in between).
  std::vector<std::string> unfinished_complete(db::Connection& c, int limit);
  // The user's unfinished, unexpired uploads.
  OpenUploads open_usage(db::Connection& c, const std::string& user_id, std::int64_t now_ms);
  // The segment keys of every upload for an interview.
  std::vector<std::string> keys_for_interview(db::Connection& c, const std::string& interview_id);
  std::vector<std::string> keys_for_user(db::Connection& c, const std::string& user_id);
  // Another upload for the interview that has moved it to `uploading`.
  bool other_in_progress(db::Connection& c, const std::string& interview_id,
                         const std::string& except_id);
};

}  // namespace companion::uploads
