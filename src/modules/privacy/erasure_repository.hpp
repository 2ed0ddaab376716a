#pragma once
// SQL for erasures: the pending jobs and, once done, the tombstones.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"

namespace companion::privacy {

struct Erasure {
  std::string subject;  // the audit trail's keyed hash of the user's id
  std::string user_id;
  std::int64_t requested_at_ms = 0;
};

class ErasureRepository {
 public:
  // False when one is already recorded (a repeated request).
  bool insert(db::Connection& c, const Erasure& e);
  std::vector<Erasure> pending(db::Connection& c, int limit);
  // The tombstone: the user id goes, the subject and the times stay.
  void complete(db::Connection& c, const std::string& subject, std::int64_t now_ms);
  // Reclaims the checkpoint: SQLite folds its WAL into the database and
  // truncates it, so no old page image stays in the -wal file. False while
  // a reader holds an old snapshot (try again). PostgreSQL: nothing to do.
  bool checkpoint(db::Connection& c);
};

}  // namespace companion::privacy
