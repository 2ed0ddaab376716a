#include "modules/privacy/retention_service.hpp"

#include "infra/errors/errors.hpp"

namespace companion::privacy {
namespace {

constexpr int kBatch = 100;

bool being_processed(interviews::Status s) {
  using interviews::Status;
  return s == Status::kUploading || s == Status::kTranscribing || s == Status::kAnalyzing;
}

}  // namespace

RetentionService::RetentionService(RetentionParts parts) : p_(parts) {}

boost::asio::awaitable<void> RetentionService::withdraw_consent(std::string user_id,
                                                                std::string interview_id,
                                                                std::optional<std::string> ip) {
  auto keys = co_await p_.db.write([&](db::Connection& c) {
    auto status = p_.interviews.status_in(c, user_id, interview_id);
    if (!status) throw NotFound("No interview with this id exists.");
    if (being_processed(*status) || !p_.interviews.lock_idle_in(c, interview_id))
      throw Conflict("The interview's recording is being uploaded or processed; cancel it first.");
    auto keys = p_.recordings.remove_in(c, interview_id);
    if (!keys) throw NotFound("The interview has no recording.");
    p_.interviews.purged_in(c, interview_id, "recording", "consent-withdrawn");
    p_.audit.append_in(c, {"consent.withdrawn", user_id, ip, {{"interviewId", interview_id}}});
    return *keys;
  });
  // What cannot be removed now stays listed for the sweeper; the objects
  // are sealed with the user's key either way.
  co_await p_.recordings.collect_garbage(std::move(keys));
}

boost::asio::awaitable<PurgeReport> RetentionService::sweep(std::int64_t now_ms) {
  PurgeReport report;
  for (auto before = report.recordings;; before = report.recordings) {
    auto expired = co_await p_.db.read([&](db::Connection& c) {
      return repository_.expired_recordings(c, now_ms, p_.max_days, kBatch);
    });
    if (expired.empty()) break;
    auto keys = co_await p_.db.write([&](db::Connection& c) {
      std::vector<std::string> keys;
      std::vector<audit::Record> records;
      for (const auto& e : expired) {
        if (!p_.interviews.lock_idle_in(c, e.interview_id)) continue;
        auto removed = p_.recordings.remove_in(c, e.interview_id);
        if (!removed) continue;
        keys.insert(keys.end(), removed->begin(), removed->end());
        p_.interviews.purged_in(c, e.interview_id, "recording", "retention");
        records.push_back({"retention.purged",
                           e.user_id,
                           std::nullopt,
                           {{"interviewId", e.interview_id}, {"removed", "recording"}}});
        ++report.recordings;
      }
      // The audit trail's head last, as every transaction takes it.
      for (const auto& r : records) p_.audit.append_in(c, r);
      return keys;
    });
    co_await p_.recordings.collect_garbage(std::move(keys));
    if (report.recordings == before) break;  // changed under us: the next sweep
  }
  for (auto before = report.transcripts;; before = report.transcripts) {
    auto expired = co_await p_.db.read([&](db::Connection& c) {
      return repository_.expired_transcripts(c, now_ms, p_.max_days, kBatch);
    });
    if (expired.empty()) break;
    co_await p_.db.write([&](db::Connection& c) {
      std::vector<audit::Record> records;
      for (const auto& e : expired) {
        if (!p_.interviews.lock_idle_in(c, e.interview_id)) continue;
        if (!p_.transcription.remove_in(c, e.interview_id)) continue;
        p_.analysis.remove_in(c, e.interview_id);
        p_.interviews.purged_in(c, e.interview_id, "transcript", "retention");
        records.push_back({"retention.purged",
                           e.user_id,
                           std::nullopt,
                           {{"interviewId", e.interview_id}, {"removed", "transcript"}}});
        ++report.transcripts;
      }
      for (const auto& r : records) p_.audit.append_in(c, r);
    });
    if (report.transcripts == before) break;
  }
  if (report.recordings + report.transcripts > 0)
    p_.logger.info("retention purged",
                   {{"recordings", report.recordings}, {"transcripts", report.transcripts}});
  co_return report;
}

}  // namespace companion::privacy
