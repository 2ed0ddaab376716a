#pragma once
// SQL for audit_log and audit_head. Blocking; called inside
// Database::read/write.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"
#include "modules/audit/audit_chain.hpp"

namespace companion::audit {

struct ChainHead {
  std::int64_t last_id = 0;
  std::string last_hash;
};

class AuditRepository {
 public:
  // Takes the next id: returns it with the hash of the entry before it.
  // On PostgreSQL the head row stays locked until the transaction ends, so
  // appends are chained one after another.
  ChainHead advance_head(db::Connection& c);
  // Writes the entry and makes its hash the head's (deferred: sent with
  // the transaction's next statement or its commit).
  void insert(db::Connection& c, const AuditEntry& entry);
  ChainHead head(db::Connection& c);
  // Entries with id > after, in id order.
  std::vector<AuditEntry> scan(db::Connection& c, std::int64_t after, int limit);
  // One subject's entries with id < before (all when nullopt), newest first.
  std::vector<AuditEntry> list(db::Connection& c, const std::string& subject,
                               std::optional<std::int64_t> before, int limit);
};

}  // namespace companion::audit
