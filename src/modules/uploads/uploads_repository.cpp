#include "modules/uploads/uploads_repository.hpp"

#include <boost/json.hpp>

namespace companion::uploads {
namespace {

constexpr const char* kColumns =
    "id, user_id, interview_id, concat, length, upload_offset, metadata, consent, filename, "
    "filetype, parts, previous_status, created_at, expires_at, completed_at";
constexpr const char* kInsert =
    "INSERT INTO uploads (id, user_id, interview_id, concat, length, upload_offset, metadata, "
    "consent, filename, filetype, parts, previous_status, created_at, expires_at, completed_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
constexpr const char* kFindForUser = " FROM uploads WHERE id = $1 AND user_id = $2";
constexpr const char* kFindAny = " FROM uploads WHERE id = $1";
constexpr const char* kFindFinal =
    " FROM uploads WHERE interview_id = $3 AND user_id = $1 AND concat = 'final' AND parts = $2";
constexpr const char* kSegments =
    "SELECT start_offset, size_bytes, storage_key FROM upload_segments WHERE upload_id = $1 "
    "ORDER BY start_offset";
constexpr const char* kSegmentCount = "SELECT COUNT(*) FROM upload_segments WHERE upload_id = $1";
constexpr const char* kAdvance =
    "UPDATE uploads SET upload_offset = upload_offset + $3, expires_at = $4 "
    "WHERE id = $1 AND upload_offset = $2 AND completed_at IS NULL";
constexpr const char* kInsertSegment =
    "INSERT INTO upload_segments (upload_id, start_offset, size_bytes, storage_key) "
    "VALUES ($1, $2, $3, $4)";
constexpr const char* kSetLength = "UPDATE uploads SET length = $2 WHERE id = $1";
constexpr const char* kSetPrevious =
    "UPDATE uploads SET previous_status = $2 WHERE id = $1 AND previous_status IS NULL";
constexpr const char* kTouch = "UPDATE uploads SET expires_at = $2 WHERE id = $1";
constexpr const char* kComplete =
    "UPDATE uploads SET completed_at = $2 WHERE id = $1 AND completed_at IS NULL";
constexpr const char* kMoveSegments =
    "UPDATE upload_segments SET upload_id = $2, start_offset = start_offset + $3 "
    "WHERE upload_id = $1";
constexpr const char* kDropSegments = "DELETE FROM upload_segments WHERE upload_id = $1";
constexpr const char* kRemove = "DELETE FROM uploads WHERE id = $1";
constexpr const char* kExpired =
    "SELECT id FROM uploads WHERE expires_at < $1 ORDER BY expires_at LIMIT $2";
constexpr const char* kUnfinishedComplete =
    "SELECT id FROM uploads WHERE completed_at IS NULL AND concat <> 'partial' "
    "AND length IS NOT NULL AND upload_offset = length ORDER BY created_at LIMIT $1";
// What a user's unfinished uploads hold: each counts its declared length,
// or what has arrived while the length is deferred.
constexpr const char* kOpenUsage =
    "SELECT COUNT(*), CAST(COALESCE(SUM(COALESCE(length, upload_offset)), 0) AS BIGINT) "
    "FROM uploads WHERE user_id = $1 AND completed_at IS NULL AND expires_at >= $2";
constexpr const char* kKeysForInterview =
    "SELECT s.storage_key FROM upload_segments s JOIN uploads u ON u.id = s.upload_id "
    "WHERE u.interview_id = $1";
constexpr const char* kKeysForUser =
    "SELECT s.storage_key FROM upload_segments s JOIN uploads u ON u.id = s.upload_id "
    "WHERE u.user_id = $1";
constexpr const char* kOtherInProgress =
    "SELECT 1 FROM uploads WHERE interview_id = $1 AND id <> $2 AND completed_at IS NULL "
    "AND previous_status IS NOT NULL LIMIT 1";

Concat concat_from(const std::string& s) {
  return s == "partial" ? Concat::kPartial : s == "final" ? Concat::kFinal : Concat::kNone;
}

Upload from_row(const db::Row& r) {
  Upload u;
  u.id = r.text(0);
  u.user_id = r.text(1);
  u.interview_id = r.optional_text(2);
  u.concat = concat_from(r.text(3));
  if (auto l = r.optional_int64(4)) u.length = static_cast<std::uint64_t>(*l);
  u.offset = static_cast<std::uint64_t>(r.int64(5));
  u.metadata = r.text(6);
  if (auto c = r.optional_text(7)) u.consent = consent_from_string(*c);
  u.filename = r.optional_text(8);
  u.filetype = r.optional_text(9);
  if (auto p = r.optional_text(10)) {
    auto list = boost::json::parse(*p);  // named: the loop reads into it
    for (const auto& v : list.as_array()) u.parts.emplace_back(v.as_string());
  }
  u.previous_status = r.optional_text(11);
  u.created_at_ms = r.int64(12);
  u.expires_at_ms = r.int64(13);
  u.completed_at_ms = r.optional_int64(14);
  return u;
}

std::optional<std::int64_t> signed_length(const std::optional<std::uint64_t>& l) {
  if (!l) return std::nullopt;
  return static_cast<std::int64_t>(*l);
}

std::vector<std::string> ids(db::Rows rows) {
  std::vector<std::string> out;
  for (auto& r : rows) out.push_back(r.text(0));
  return out;
}

// How a final upload's parts are stored: a JSON array of upload ids.
std::string parts_json(const std::vector<std::string>& parts) {
  boost::json::array a;
  for (const auto& p : parts) a.emplace_back(p);
  return boost::json::serialize(a);
}

}  // namespace

void UploadsRepository::insert(db::Connection& c, const Upload& u) {
  std::optional<std::string> parts;
  if (!u.parts.empty()) parts = parts_json(u.parts);
  std::optional<std::string> consent;
  if (u.consent) consent = std::string(to_string(*u.consent));
  c.execute(kInsert,
            {u.id, u.user_id, u.interview_id, to_string(u.concat), signed_length(u.length),
             static_cast<std::int64_t>(u.offset), u.metadata, consent, u.filename, u.filetype,
             parts, u.previous_status, u.created_at_ms, u.expires_at_ms, u.completed_at_ms});
}

std::optional<Upload> UploadsRepository::find(db::Connection& c, const std::string& user_id,
                                              const std::string& id) {
  auto row = c.query_one(std::string("SELECT ") + kColumns + kFindForUser, {id, user_id});
  if (!row) return std::nullopt;
  return from_row(*row);
}

std::optional<Upload> UploadsRepository::find_any(db::Connection& c, const std::string& id) {
  auto row = c.query_one(std::string("SELECT ") + kColumns + kFindAny, {id});
  if (!row) return std::nullopt;
  return from_row(*row);
}

std::optional<Upload> UploadsRepository::find_final(db::Connection& c, const std::string& user_id,
                                                    const std::string& interview_id,
                                                    const std::vector<std::string>& parts) {
  auto row = c.query_one(std::string("SELECT ") + kColumns + kFindFinal,
                         {user_id, parts_json(parts), interview_id});
  if (!row) return std::nullopt;
  return from_row(*row);
}

std::vector<UploadSegment> UploadsRepository::segments(db::Connection& c, const std::string& id) {
  std::vector<UploadSegment> out;
  for (auto& r : c.query(kSegments, {id}))
    out.push_back({static_cast<std::uint64_t>(r.int64(0)), static_cast<std::uint64_t>(r.int64(1)),
                   r.text(2)});
  return out;
}

std::int64_t UploadsRepository::segment_count(db::Connection& c, const std::string& id) {
  return c.query_one(kSegmentCount, {id})->int64(0);
}

bool UploadsRepository::append_segment(db::Connection& c, const std::string& id,
                                       std::uint64_t expected, const UploadSegment& s,
                                       std::int64_t expires_at_ms) {
  if (c.execute(kAdvance, {id, static_cast<std::int64_t>(expected),
                           static_cast<std::int64_t>(s.size), expires_at_ms}) != 1)
    return false;
  c.execute(kInsertSegment, {id, static_cast<std::int64_t>(s.start),
                             static_cast<std::int64_t>(s.size), s.storage_key});
  return true;
}

void UploadsRepository::set_length(db::Connection& c, const std::string& id, std::uint64_t length) {
  c.execute(kSetLength, {id, static_cast<std::int64_t>(length)});
}

void UploadsRepository::set_previous_status(db::Connection& c, const std::string& id,
                                            const std::string& status) {
  c.execute(kSetPrevious, {id, status});
}

void UploadsRepository::touch(db::Connection& c, const std::string& id,
                              std::int64_t expires_at_ms) {
  c.execute(kTouch, {id, expires_at_ms});
}

bool UploadsRepository::mark_completed(db::Connection& c, const std::string& id,
                                       std::int64_t now_ms) {
  return c.execute(kComplete, {id, now_ms}) == 1;
}

void UploadsRepository::move_segments(db::Connection& c, const std::string& from,
                                      const std::string& to, std::uint64_t shift) {
  c.execute(kMoveSegments, {from, to, static_cast<std::int64_t>(shift)});
}

void UploadsRepository::drop_segments(db::Connection& c, const std::string& id) {
  c.execute(kDropSegments, {id});
}

void UploadsRepository::remove(db::Connection& c, const std::string& id) {
  c.execute(kRemove, {id});
}

std::vector<std::string> UploadsRepository::expired(db::Connection& c, std::int64_t now_ms,
                                                    int limit) {
  return ids(c.query(kExpired, {now_ms, limit}));
}

std::vector<std::string> UploadsRepository::unfinished_complete(db::Connection& c, int limit) {
  return ids(c.query(kUnfinishedComplete, {limit}));
}

OpenUploads UploadsRepository::open_usage(db::Connection& c, const std::string& user_id,
                                          std::int64_t now_ms) {
  auto row = c.query_one(kOpenUsage, {user_id, now_ms});
  return {static_cast<std::uint64_t>(row->int64(0)), static_cast<std::uint64_t>(row->int64(1))};
}

std::vector<std::string> UploadsRepository::keys_for_interview(db::Connection& c,
                                                               const std::string& interview_id) {
  return ids(c.query(kKeysForInterview, {interview_id}));
}

std::vector<std::string> UploadsRepository::keys_for_user(db::Connection& c,
                                                          const std::string& user_id) {
  return ids(c.query(kKeysForUser, {user_id}));
}

bool UploadsRepository::other_in_progress(db::Connection& c, const std::string& interview_id,
                                          const std::string& except_id) {
  return c.query_one(kOtherInProgress, {interview_id, except_id}).has_value();
}

}  // namespace companion::uploads
