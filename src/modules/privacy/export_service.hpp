#pragma once
// Exports (GDPR Art. 15 and 20 style): one zip of everything of the user
// (profile, interviews, recordings decrypted, transcripts as JSON and
// WebVTT, analyses, notifications, consent records, audit entries) with a
// manifest of every file's SHA-256. Built by a job on disk a file at a
// time (memory stays bounded), sealed with the user's data key in storage,
// downloadable for a day, then removed; the user is notified when it is
// ready.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/storage/blob_store.hpp"
#include "infra/storage/sealed_blob.hpp"
#include "modules/analysis/analysis_service.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/notifications/notifications_service.hpp"
#include "modules/privacy/export_repository.hpp"
#include "modules/transcription/transcription_service.hpp"
#include "modules/uploads/recordings_service.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/users/users_service.hpp"

namespace companion::privacy {

struct ExportParts {
  db::Database& db;
  const Clock& clock;
  crypto::UuidV7Generator& ids;
  users::UsersService& users;
  users::DataKeys& keys;
  interviews::InterviewsService& interviews;
  uploads::RecordingsService& recordings;
  transcription::TranscriptionService& transcription;
  analysis::AnalysisService& analysis;
  notifications::NotificationsService& notifications;
  audit::AuditLog& audit;
  storage::BlobStore& store;
  async::BlockingPool& pool;  // file and storage work
  std::string work_dir;       // where archives are built (private: the data directory)
  log::Logger& logger;
  std::chrono::milliseconds lifetime{24 * 3600 * 1000};
};

// An archive being downloaded.
struct Archive {
  Export info;
  std::shared_ptr<storage::SealedReader> reader;
};

class ExportService {
 public:
  explicit ExportService(ExportParts parts);

  // Starts an export; while one of the user's is still being built, that
  // one is returned instead of starting another.
  boost::asio::awaitable<Export> request(std::string user_id, std::optional<std::string> ip);
  // NotFound for another user's id or one that expired.
  boost::asio::awaitable<Export> get(std::string user_id, std::string id);
  // Conflict while it is being built; NotFound when it failed or expired.
  boost::asio::awaitable<Archive> open(std::string user_id, std::string id,
                                       std::optional<std::string> ip);
  boost::asio::awaitable<std::size_t> read(Archive& archive, std::uint64_t offset,
                                           std::span<char> out);

  // Housekeeping, every second: builds pending exports (at once after a
  // request here, else one a minute looks for others'), removes expired.
  boost::asio::awaitable<std::size_t> tick();
  // Builds every pending export now; returns how many were built.
  boost::asio::awaitable<std::size_t> run_pending();

  // Erasure: the stored archives of the user.
  std::vector<std::string> keys_of_user_in(db::Connection& c, const std::string& user_id);

 private:
  boost::asio::awaitable<void> build(Export e);
  boost::asio::awaitable<void> remove_expired();

  ExportParts p_;
  ExportRepository repository_;
  std::atomic<bool> requested_{true};
  std::atomic<bool> running_{false};
  std::chrono::steady_clock::time_point last_look_{};
};

}  // namespace companion::privacy
