#include "modules/audit/audit_repository.hpp"

namespace companion::audit {
namespace {

constexpr const char* kAdvanceHead =
    "UPDATE audit_head SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id, last_hash";
constexpr const char* kSetHeadHash = "UPDATE audit_head SET last_hash = $1 WHERE id = 1";
constexpr const char* kSelectHead = "SELECT last_id, last_hash FROM audit_head WHERE id = 1";
constexpr const char* kInsert =
    "INSERT INTO audit_log (id, at, action, subject, ip, detail, hash) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr const char* kScan =
    "SELECT id, at, action, subject, ip, detail, hash FROM audit_log WHERE id > $1 "
    "ORDER BY id LIMIT $2";
constexpr const char* kListFirst =
    "SELECT id, at, action, subject, ip, detail, hash FROM audit_log WHERE subject = $1 "
    "ORDER BY id DESC LIMIT $2";
constexpr const char* kListBefore =
    "SELECT id, at, action, subject, ip, detail, hash FROM audit_log WHERE subject = $1 "
    "AND id < $3 ORDER BY id DESC LIMIT $2";

AuditEntry from_row(const db::Row& r) {
  return AuditEntry{r.int64(0),         r.int64(1), r.text(2), r.optional_text(3),
                    r.optional_text(4), r.text(5),  r.text(6)};
}

std::vector<AuditEntry> entries(const db::Rows& rows) {
  std::vector<AuditEntry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

}  // namespace

ChainHead AuditRepository::advance_head(db::Connection& c) {
  auto row = c.query_one(kAdvanceHead);
  if (!row) throw db::Error(db::ErrorKind::kSchema, "audit_head has no row");
  return ChainHead{row->int64(0), row->text(1)};
}

void AuditRepository::insert(db::Connection& c, const AuditEntry& e) {
  c.execute_deferred(kInsert, {e.id, e.at_ms, e.action, e.subject, e.ip, e.detail, e.hash});
  c.execute_deferred(kSetHeadHash, {e.hash});
}

ChainHead AuditRepository::head(db::Connection& c) {
  auto row = c.query_one(kSelectHead);
  if (!row) throw db::Error(db::ErrorKind::kSchema, "audit_head has no row");
  return ChainHead{row->int64(0), row->text(1)};
}

std::vector<AuditEntry> AuditRepository::scan(db::Connection& c, std::int64_t after, int limit) {
  return entries(c.query(kScan, {after, limit}));
}

std::vector<AuditEntry> AuditRepository::list(db::Connection& c, const std::string& subject,
                                              std::optional<std::int64_t> before, int limit) {
  if (!before) return entries(c.query(kListFirst, {subject, limit}));
  return entries(c.query(kListBefore, {subject, limit, *before}));
}

}  // namespace companion::audit
