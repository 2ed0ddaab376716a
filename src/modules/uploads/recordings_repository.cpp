#include "modules/uploads/recordings_repository.hpp"

#include <boost/json.hpp>

namespace companion::uploads {
namespace {

constexpr const char* kSelectKeys =
    "SELECT storage_key, segments FROM recordings WHERE interview_id = $1";
constexpr const char* kSelectUserKeys =
    "SELECT storage_key, segments FROM recordings WHERE user_id = $1";
constexpr const char* kDelete = "DELETE FROM recordings WHERE interview_id = $1";
constexpr const char* kInsert =
    "INSERT INTO recordings (id, interview_id, user_id, storage_key, size_bytes, duration_ms, "
    "mime_type, container, codec, channels, sample_rate, consent, consent_at, uploaded_at, "
    "filename, segments) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
    "$15, $16)";
constexpr const char* kSelect =
    "SELECT id, interview_id, user_id, storage_key, size_bytes, duration_ms, mime_type, container, "
    "codec, channels, sample_rate, consent, consent_at, uploaded_at, filename, segments "
    "FROM recordings WHERE interview_id = $1 AND user_id = $2";

constexpr const char* kAddGarbage =
    "INSERT INTO storage_garbage (storage_key, created_at) VALUES ($1, $2) "
    "ON CONFLICT (storage_key) DO NOTHING";
constexpr const char* kOldestGarbage =
    "SELECT storage_key FROM storage_garbage ORDER BY created_at LIMIT $1";
constexpr const char* kForgetGarbage = "DELETE FROM storage_garbage WHERE storage_key = $1";

std::optional<std::string> segments_json(const Recording& r) {
  if (r.parts.size() <= 1) return std::nullopt;
  boost::json::array a;
  for (const auto& p : r.parts) a.push_back(boost::json::object{{"key", p.key}, {"size", p.size}});
  return boost::json::serialize(a);
}

std::vector<storage::SealedPart> parts_from(const std::string& storage_key, std::uint64_t size,
                                            const std::optional<std::string>& segments) {
  if (!segments) return {{storage_key, size}};
  std::vector<storage::SealedPart> parts;
  auto list = boost::json::parse(*segments);  // named: the loop reads into it
  for (const auto& v : list.as_array()) {
    const auto& o = v.as_object();
    parts.push_back(
        {std::string(o.at("key").as_string()), o.at("size").to_number<std::uint64_t>()});
  }
  return parts;
}

}  // namespace

std::vector<std::string> RecordingsRepository::keys_for_interview(db::Connection& c,
                                                                  const std::string& interview_id) {
  std::vector<std::string> keys;
  if (auto old = c.query_one(kSelectKeys, {interview_id}))
    for (auto& p : parts_from(old->text(0), 0, old->optional_text(1))) keys.push_back(p.key);
  return keys;
}

std::vector<std::string> RecordingsRepository::keys_for_user(db::Connection& c,
                                                             const std::string& user_id) {
  std::vector<std::string> keys;
  for (const auto& row : c.query(kSelectUserKeys, {user_id}))
    for (auto& p : parts_from(row.text(0), 0, row.optional_text(1))) keys.push_back(p.key);
  return keys;
}

std::vector<std::string> RecordingsRepository::replace(db::Connection& c, const Recording& r) {
  auto old = keys_for_interview(c, r.interview_id);
  c.execute(kDelete, {r.interview_id});
  c.execute(kInsert, {r.id, r.interview_id, r.user_id, r.storage_key,
                      static_cast<std::int64_t>(r.size_bytes), r.duration_ms, r.mime_type,
                      r.container, r.codec, r.channels, r.sample_rate, to_string(r.consent),
                      r.consent_at_ms, r.uploaded_at_ms, r.filename, segments_json(r)});
  return old;
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
  r.parts = parts_from(r.storage_key, r.size_bytes, row->optional_text(15));
  return r;
}

void GarbageRepository::add(db::Connection& c, const std::vector<std::string>& keys,
                            std::int64_t now_ms) {
  for (const auto& k : keys) c.execute(kAddGarbage, {k, now_ms});
}

std::vector<std::string> GarbageRepository::oldest(db::Connection& c, int limit) {
  std::vector<std::string> keys;
  for (auto& row : c.query(kOldestGarbage, {limit})) keys.push_back(row.text(0));
  return keys;
}

void GarbageRepository::forget(db::Connection& c, const std::string& key) {
  c.execute(kForgetGarbage, {key});
}

bool RecordingsRepository::remove(db::Connection& c, const std::string& interview_id) {
  return c.execute(kDelete, {interview_id}) > 0;
}

}  // namespace companion::uploads
