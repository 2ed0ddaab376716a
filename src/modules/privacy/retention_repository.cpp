#include "modules/privacy/retention_repository.hpp"

namespace companion::privacy {
namespace {

// The days that apply: the shortest of the user's choice, the operator's
// ceiling ($2) and the user's plan's ceiling (billing writes plan_retention
// from the plans file; the free plan's when the user has no subscription
// row or a plan no longer configured), the ones that are set; none (NULL:
// kept) when none is.
#define PLAN_DAYS                                                                            \
  "(SELECT p.days FROM plan_retention p WHERE p.plan_id = COALESCE((SELECT s.plan_id FROM "  \
  "subscriptions s JOIN plan_retention q ON q.plan_id = s.plan_id WHERE s.user_id = u.id), " \
  "(SELECT q.plan_id FROM plan_retention q WHERE q.is_free = 1)))"
#define EFFECTIVE_DAYS(column)                        \
  "(SELECT MIN(column1) FROM (VALUES (CAST(u." column \
  " AS BIGINT)), (CAST($2 AS BIGINT)), "              \
  "(" PLAN_DAYS ")) AS days)"
#define NOT_BEING_PROCESSED "i.status NOT IN ('uploading', 'transcribing', 'analyzing')"

constexpr const char* kExpiredRecordings =
    "SELECT r.interview_id, r.user_id FROM recordings r "
    "JOIN interviews i ON i.id = r.interview_id JOIN users u ON u.id = r.user_id "
    "WHERE " NOT_BEING_PROCESSED " AND r.uploaded_at < $1 - " EFFECTIVE_DAYS(
        "retention_recording_days") " * 86400000 ORDER BY r.uploaded_at LIMIT $3";
constexpr const char* kExpiredTranscripts =
    "SELECT t.interview_id, i.user_id FROM transcripts t "
    "JOIN interviews i ON i.id = t.interview_id JOIN users u ON u.id = i.user_id "
    "WHERE " NOT_BEING_PROCESSED " AND t.created_at < $1 - " EFFECTIVE_DAYS(
        "retention_transcript_days") " * 86400000 ORDER BY t.created_at LIMIT $3";

#undef EFFECTIVE_DAYS
#undef PLAN_DAYS
#undef NOT_BEING_PROCESSED

std::vector<Expired> expired(const db::Rows& rows) {
  std::vector<Expired> out;
  for (const auto& r : rows) out.push_back({r.text(0), r.text(1)});
  return out;
}

}  // namespace

std::vector<Expired> RetentionRepository::expired_recordings(db::Connection& c, std::int64_t now_ms,
                                                             std::optional<std::int64_t> max_days,
                                                             int limit) {
  return expired(c.query(kExpiredRecordings, {now_ms, max_days, limit}));
}

std::vector<Expired> RetentionRepository::expired_transcripts(db::Connection& c,
                                                              std::int64_t now_ms,
                                                              std::optional<std::int64_t> max_days,
                                                              int limit) {
  return expired(c.query(kExpiredTranscripts, {now_ms, max_days, limit}));
}

}  // namespace companion::privacy
