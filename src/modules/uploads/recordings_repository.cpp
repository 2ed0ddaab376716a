#include "modules/uploads/recordings_repository.hpp"

namespace companion::uploads {
namespace {

constexpr const char* kSelectKey = "SELECT storage_key FROM recordings WHERE interview_id = $1";
constexpr const char* kDelete = "DELETE FROM recordings WHERE interview_id = $1";
constexpr const char* kInsert =
    "INSERT INTO recordings (id, interview_id, user_id, storage_key, size_bytes, duration_ms, "
    "mime_type, container, codec, channels, sample_rate, consent, consent_at, uploaded_at, "
    "filename) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
constexpr const char* kSelect =
    "SELECT id, interview_id, user_id, storage_key, size_bytes, duration_ms, mime_type, container, "
    "codec, channels, sample_rate, consent, consent_at, uploaded_at, filename FROM recordings "
    "WHERE interview_id = $1 AND user_id = $2";

}  // namespace

std::optional<std::string> RecordingsRepository::replace(db::Connection& c, const Recording& r) {
  auto old = c.query_one(kSelectKey, {r.interview_id});
  c.execute(kDelete, {r.interview_id});
  c.execute(kInsert, {r.id, r.interview_id, r.user_id, r.storage_key,
                      static_cast<std::int64_t>(r.size_bytes), r.duration_ms, r.mime_type,
                      r.container, r.codec, r.channels, r.sample_rate, to_string(r.consent),
                      r.consent_at_ms, r.uploaded_at_ms, r.filename});
  if (!old) return std::nullopt;
  return old->text(0);
}

std::optional<Recording> RecordingsRepository::find_for_interview(db::Connection& c,
                                                                  const std::string& user_id,
                                                                  const std::string& interview_id) {
  auto row = c.query_one(kSelect, {interview_id, user_id});
  if (!row) return std::nullopt;
  Recording r;
  r.id = row->text(0);
  r.interview_id = row->text(1);
  r.user_id = row->text(2);
  r.storage_key = row->text(3);
  r.size_bytes = static_cast<std::uint64_t>(row->int64(4));
  r.duration_ms = row->int64(5);
  r.mime_type = row->text(6);
  r.container = row->text(7);
  r.codec = row->text(8);
  r.channels = static_cast<int>(row->int64(9));
  r.sample_rate = static_cast<int>(row->int64(10));
  r.consent = consent_from_string(row->text(11)).value_or(Consent::kSelfOnly);
  r.consent_at_ms = row->int64(12);
  r.uploaded_at_ms = row->int64(13);
  r.filename = row->optional_text(14);
  return r;
}

}  // namespace companion::uploads
