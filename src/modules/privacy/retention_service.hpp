#pragma once
// Retention and consent: the sweeper removes recordings, and transcripts
// with their analyses, once they are older than their owner's retention
// (capped by the operator's maximum); a user withdrawing consent removes a
// recording at once. Each removal shows on the interview (`purged`) and in
// the audit trail.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "modules/analysis/analysis_service.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/privacy/retention_repository.hpp"
#include "modules/transcription/transcription_service.hpp"
#include "modules/uploads/recordings_service.hpp"

namespace companion::privacy {

struct RetentionParts {
  db::Database& db;
  const Clock& clock;
  std::optional<std::int64_t> max_days;  // the operator's ceiling
  interviews::InterviewsService& interviews;
  uploads::RecordingsService& recordings;
  transcription::TranscriptionService& transcription;
  analysis::AnalysisService& analysis;
  audit::AuditLog& audit;
  log::Logger& logger;
};

struct PurgeReport {
  std::int64_t recordings = 0;
  std::int64_t transcripts = 0;  // each with its analysis
};

class RetentionService {
 public:
  explicit RetentionService(RetentionParts parts);

  // DELETE /v1/interviews/{id}/recording: NotFound for an interview that is
  // not the user's or has no recording; Conflict while it is processed.
  boost::asio::awaitable<void> withdraw_consent(std::string user_id, std::string interview_id,
                                                std::optional<std::string> ip = {});

  // Removes everything past its retention as if the time were `now_ms`,
  // a batch per transaction, until nothing is left.
  boost::asio::awaitable<PurgeReport> sweep(std::int64_t now_ms);

 private:
  RetentionParts p_;
  RetentionRepository repository_;
};

}  // namespace companion::privacy
