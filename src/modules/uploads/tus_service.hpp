#pragma once
// Resumable uploads (tus 1.0.0 with creation, creation-with-upload,
// creation-defer-length, expiration, checksum, termination and
// concatenation). No HTTP types: the controller maps headers to these calls.
//
// Each PATCH streams into a new sealed object of its own (random key, own
// nonce) and counts only once one transaction records it and advances the
// offset from the value the request started at. So:
//  - HEAD's offset is always bytes that are durably stored;
//  - two writers can never interleave: the one that commits second finds
//    the offset moved and gets 409 (and on one instance a second PATCH is
//    refused at once);
//  - a client that goes away mid-PATCH keeps what arrived (unless it sent a
//    checksum, which then cannot be verified);
//  - nothing is rewritten on completion: the segments become the
//    recording's parts (storage/sealed_blob.hpp reads them as one stream).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/errors/errors.hpp"
#include "infra/log/logger.hpp"
#include "infra/storage/blob_store.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/uploads/recordings_service.hpp"
#include "modules/uploads/upload.hpp"
#include "modules/uploads/uploads_repository.hpp"
#include "modules/users/data_keys.hpp"

namespace companion::uploads {

struct TusSettings {
  std::uint64_t max_size = 4ull << 30;  // Tus-Max-Size
  // An unfinished upload is removed this long after its last chunk.
  std::chrono::milliseconds expiry = std::chrono::hours(24);
  // Bounds the objects one upload may consist of (a client sending tiny
  // chunks is told to send larger ones).
  std::int64_t max_segments = 10000;
  // Per user: unfinished uploads at once, and the bytes they may claim
  // together (declared lengths, or what arrived while a length is deferred).
  std::uint64_t open_per_user = 20;
  std::uint64_t pending_bytes_per_user = 8ull << 30;
};

struct CreateUpload {
  std::string user_id;
  std::optional<std::uint64_t> length;  // Upload-Length
  bool defer_length = false;            // Upload-Defer-Length: 1
  std::string metadata;                 // Upload-Metadata
  std::optional<std::string> concat;    // Upload-Concat
  std::string traceparent;              // the request's span, for the events it causes
};

struct AppendChunk {
  std::string user_id;
  std::string upload_id;
  std::uint64_t offset = 0;                     // Upload-Offset
  std::optional<std::uint64_t> length;          // Upload-Length, for a deferred length
  std::optional<std::uint64_t> content_length;  // of this chunk, when known
  std::optional<Checksum> checksum;             // Upload-Checksum
  std::string traceparent;                      // the request's span, for the events it causes
};

struct AppendResult {
  Upload upload;
  std::optional<interviews::Interview> interview;  // set when this chunk completed it
};

class TusService {
 public:
  TusService(TusSettings settings, db::Database& db, async::BlockingPool& storage_pool,
             storage::BlobStore& store, users::DataKeys& keys,
             interviews::InterviewsService& interviews, RecordingsService& recordings,
             const Clock& clock, crypto::UuidV7Generator& ids, log::Logger& logger);

  const TusSettings& settings() const { return settings_; }

  // Creates an upload. A final (concatenated) upload is complete at once
  // and becomes the recording before this returns. Refuses metadata without
  // interviewId or consent (400), an unknown interview (404), one being
  // processed (409), a length over the maximum (413).
  boost::asio::awaitable<Upload> create(CreateUpload in);
  // The caller's upload; 404 for an unknown id or another user's.
  boost::asio::awaitable<Upload> get(std::string user_id, std::string id);
  // Appends the chunk the callback yields (see the class comment).
  boost::asio::awaitable<AppendResult> append(AppendChunk in, ReadBody read_body);
  // Termination: the upload and its bytes go (a finished upload only loses
  // its tus resource; the recording stays).
  boost::asio::awaitable<void> terminate(std::string user_id, std::string id);

  struct SweepReport {
    std::size_t expired = 0;
    std::size_t finished = 0;
    std::size_t collected = 0;
  };
  // Removes expired uploads, finishes uploads that have every byte but were
  // interrupted before becoming a recording, and removes stored objects no
  // row refers to any more.
  boost::asio::awaitable<SweepReport> sweep();

  // In the transaction that deletes an interview.
  void forget_interview_in(db::Connection& c, const std::string& interview_id);
  // Erasure: the stored pieces of every upload of the user.
  std::vector<std::string> keys_of_user_in(db::Connection& c, const std::string& user_id);

 private:
  // Checks a chunk against the upload's offset, length and limits, and
  // marks the interview `uploading` at the first byte; returns the most
  // the upload may grow to while its length is deferred.
  boost::asio::awaitable<std::uint64_t> admit_chunk(const AppendChunk& in, Upload& u);
  // Streams the chunk into a segment of its own and appends it, moving
  // the offset. Returns what broke the body off (what arrived is kept).
  boost::asio::awaitable<std::exception_ptr> receive_chunk(const AppendChunk& in, Upload& u,
                                                           std::uint64_t room, ReadBody read_body);
  TooLarge too_large(std::uint64_t room) const;
  class Writing;  // the in-process "one writer per upload" guard
  // Refuses a new upload past the user's open-upload limits.
  void check_open_limits_in(db::Connection& c, const Upload& u);
  // How large an upload may grow when the user's other unfinished uploads
  // claim `others` bytes.
  std::uint64_t room_for(std::uint64_t others) const;
  boost::asio::awaitable<interviews::Interview> finish(Upload upload, std::string traceparent = {});
  // A finished upload that is no usable recording: it goes, and the
  // interview gets back its earlier status.
  boost::asio::awaitable<void> fail(const Upload& upload, std::string reason);
  // Removes the upload and lists its bytes for removal. The interview gets
  // back its earlier status, or, when the file was refused, the reason.
  void drop_in(db::Connection& c, const Upload& upload,
               std::optional<std::string> refused = std::nullopt);

  TusSettings settings_;
  db::Database& db_;
  async::BlockingPool& pool_;
  storage::BlobStore& store_;
  users::DataKeys& keys_;
  interviews::InterviewsService& interviews_;
  RecordingsService& recordings_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  log::Logger& logger_;
  UploadsRepository repository_;
  std::mutex mutex_;
  std::set<std::string> writing_;
};

}  // namespace companion::uploads
