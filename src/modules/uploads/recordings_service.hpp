#pragma once
// Recordings: storing an interview's audio (streamed, sniffed early,
// encrypted with the user's data key, probed), and playing it back by range.
// No HTTP types: the body arrives through ReadBody, which fills the memory it
// is given.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/outbox/outbox.hpp"
#include "infra/storage/blob_store.hpp"
#include "infra/storage/sealed_blob.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/metering.hpp"
#include "modules/uploads/recording.hpp"
#include "modules/uploads/recordings_repository.hpp"
#include "modules/uploads/upload_slots.hpp"
#include "modules/uploads/upload_stream.hpp"
#include "modules/users/data_keys.hpp"

namespace companion::uploads {

struct NewRecording {
  std::string user_id;
  std::string interview_id;
  Consent consent = Consent::kSelfOnly;
  std::optional<std::string> filename;
  std::string traceparent;            // the request's span, for the events it causes
  std::optional<std::uint64_t> size;  // the body's length, when announced
};

// Sealed parts already committed to the store, to become a recording.
struct StoredParts {
  std::string user_id;
  std::string interview_id;
  Consent consent = Consent::kSelfOnly;
  std::int64_t consent_at_ms = 0;
  std::optional<std::string> filename;
  std::vector<storage::SealedPart> parts;
  std::string traceparent;  // the span that finished it (empty: none)
};

struct Playback {
  Recording recording;
  std::shared_ptr<storage::SealedSequenceReader> reader;
};

class RecordingsService {
 public:
  RecordingsService(db::Database& db, async::BlockingPool& storage_pool, storage::BlobStore& store,
                    users::DataKeys& keys, interviews::InterviewsService& interviews,
                    outbox::Outbox& outbox, const Clock& clock, crypto::UuidV7Generator& ids,
                    log::Logger& logger, std::size_t concurrent_uploads_per_user = 4);

  // Quotas (billing) are checked before a body is taken and on the
  // finished recording's size; none: no limits but the server's.
  void set_metering(modules::Metering* metering) { metering_ = metering; }
  modules::Metering* metering() const { return metering_; }

  // A slot for one more body the user streams in (this and the tus
  // uploads); RateLimited when they have `concurrent_uploads_per_user`.
  UploadSlots::Slot upload_slot(const std::string& user_id) { return slots_.acquire(user_id); }
  // The memory bodies are read into (UploadStream), shared with tus.
  storage::SealedBatchPool& upload_batches() { return batches_; }

  // Stores the recording and returns the interview (status `uploaded`).
  // Refuses, with nothing kept: a body that is clearly not audio (415, as
  // soon as its first 4 KiB are in), an empty, truncated or corrupt file or
  // one without an audio stream (422, the reason in words).
  boost::asio::awaitable<interviews::Interview> store(NewRecording input, ReadBody read_body);

  // Probes the stored parts and, in one transaction, makes them the
  // interview's recording (replacing any previous one, whose objects are
  // then removed), sets the interview `uploaded`, writes the
  // `recording.uploaded` event and runs `also`. Throws Unprocessable (the
  // reason in words) when the parts are not a usable recording; the parts
  // stay the caller's until this returns normally.
  boost::asio::awaitable<interviews::Interview> adopt(
      StoredParts in, std::function<void(db::Connection&)> also = {});

  // In the transaction that deletes an interview: its recording's objects
  // are listed for removal.
  void forget_interview_in(db::Connection& c, const std::string& interview_id);
  // Lists objects for removal (in the caller's transaction).
  void discard_in(db::Connection& c, const std::vector<std::string>& keys);
  // Removes listed objects from the store now, forgetting each one removed;
  // what fails stays listed for the next sweep. Returns how many failed.
  boost::asio::awaitable<std::size_t> collect_garbage(std::vector<std::string> keys);
  // Retention or a withdrawn consent: the interview's recording goes, its
  // objects listed for removal (collect_garbage them after the commit).
  // Returns their keys; nullopt when the interview has no recording.
  std::optional<std::vector<std::string>> remove_in(db::Connection& c,
                                                    const std::string& interview_id);
  // Erasure: the stored objects of every recording of the user.
  std::vector<std::string> keys_of_user_in(db::Connection& c, const std::string& user_id);
  // One sweep over everything listed (the oldest first, bounded).
  boost::asio::awaitable<std::size_t> collect_garbage();

  boost::asio::awaitable<Playback> open(std::string user_id, std::string interview_id);
  // The interview's recording's length, in the caller's transaction.
  std::optional<std::int64_t> duration_ms_in(db::Connection& c, const std::string& user_id,
                                             const std::string& interview_id);
  boost::asio::awaitable<std::size_t> read(Playback& playback, std::uint64_t offset,
                                           std::span<char> out);

 private:
  modules::Metering* metering_ = nullptr;
  db::Database& db_;
  async::BlockingPool& pool_;
  storage::BlobStore& store_;
  users::DataKeys& keys_;
  interviews::InterviewsService& interviews_;
  outbox::Outbox& outbox_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  log::Logger& logger_;
  UploadSlots slots_;
  storage::SealedBatchPool batches_;
  RecordingsRepository repository_;
  GarbageRepository garbage_;
};

}  // namespace companion::uploads
