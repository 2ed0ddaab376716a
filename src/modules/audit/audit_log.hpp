#pragma once
// The audit trail: security- and privacy-relevant actions, each written in
// the transaction of the action it records (append_in), hash-chained, and
// naming its user only by a keyed hash. Users read their own entries;
// operators check the chain with `interview-companion audit verify`.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "modules/audit/audit_chain.hpp"
#include "modules/audit/audit_repository.hpp"

namespace companion::audit {

// What happened, as the acting module tells it.
struct Record {
  std::string action;                  // see docs/privacy.md for the list
  std::optional<std::string> user_id;  // whose action or data; stored as a keyed hash
  std::optional<std::string> ip;       // the client's address, when a request caused it
  boost::json::object detail;          // ids and counts only: no email, name or content
};

struct Page {
  std::vector<AuditEntry> items;  // newest first
  std::optional<std::int64_t> next_cursor;
};

struct VerifyReport {
  std::int64_t entries = 0;               // checked
  std::optional<std::int64_t> broken_at;  // the first entry that does not chain
  std::string reason;
};

class AuditLog {
 public:
  // subject_key: 32 secret bytes (derived from the master key), so the
  // keyed hashes mean nothing without it and survive a restart.
  AuditLog(db::Database& db, std::string subject_key, const Clock& clock);

  // Appends inside the caller's transaction. Append last in a transaction:
  // on PostgreSQL the chain's head stays locked until the commit.
  void append_in(db::Connection& c, const Record& record);
  // In a transaction of its own, for an action that writes nothing else (a
  // failed sign-in).
  boost::asio::awaitable<void> append(Record record);

  // The user's entries, newest first; `before` is a cursor from a page.
  boost::asio::awaitable<Page> list(std::string user_id, std::optional<std::int64_t> before,
                                    int limit);

  // The keyed hash that stands for a user in the log.
  std::string subject_of(std::string_view user_id) const;
  // A keyed hash of another value (an email that has no account), under a
  // kind so equal values of different kinds do not match.
  std::string keyed_hash(std::string_view kind, std::string_view value) const;

  // Walks the whole chain (in pages) and names the first entry that does
  // not chain: changed, missing, inserted or reordered entries, and
  // entries cut from the end, are all found.
  static VerifyReport verify(db::Database& db);

 private:
  db::Database& db_;
  std::string key_;
  const Clock& clock_;
  AuditRepository repository_;
};

}  // namespace companion::audit
