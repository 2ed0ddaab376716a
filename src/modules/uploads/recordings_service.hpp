#pragma once
// Recordings: storing an interview's audio (streamed, sniffed early,
// encrypted with the user's data key, probed), and playing it back by range.
// No HTTP types: the body arrives through a piece-by-piece callback.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/outbox/outbox.hpp"
#include "infra/storage/blob_store.hpp"
#include "infra/storage/sealed_blob.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/uploads/recording.hpp"
#include "modules/uploads/recordings_repository.hpp"
#include "modules/users/data_keys.hpp"

namespace companion::uploads {

struct NewRecording {
  std::string user_id;
  std::string interview_id;
  Consent consent = Consent::kSelfOnly;
  std::optional<std::string> filename;
};

// The next piece of the upload, or an empty view at its end.
using NextPiece = std::function<boost::asio::awaitable<std::string_view>()>;

struct Playback {
  Recording recording;
  std::shared_ptr<storage::SealedReader> reader;
};

class RecordingsService {
 public:
  RecordingsService(db::Database& db, async::BlockingPool& storage_pool, storage::BlobStore& store,
                    users::DataKeys& keys, interviews::InterviewsService& interviews,
                    outbox::Outbox& outbox, const Clock& clock, crypto::UuidV7Generator& ids,
                    log::Logger& logger);

  // Stores the recording and returns the interview (status `uploaded`).
  // Refuses, with nothing kept: a body that is clearly not audio (415, as
  // soon as its first 4 KiB are in), an empty, truncated or corrupt file or
  // one without an audio stream (422, the reason in words).
  boost::asio::awaitable<interviews::Interview> store(NewRecording input, NextPiece next);

  boost::asio::awaitable<Playback> open(std::string user_id, std::string interview_id);
  boost::asio::awaitable<std::size_t> read(Playback& playback, std::uint64_t offset,
                                           std::span<char> out);

 private:
  db::Database& db_;
  async::BlockingPool& pool_;
  storage::BlobStore& store_;
  users::DataKeys& keys_;
  interviews::InterviewsService& interviews_;
  outbox::Outbox& outbox_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  log::Logger& logger_;
  RecordingsRepository repository_;
};

}  // namespace companion::uploads
