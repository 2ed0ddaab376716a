#pragma once
// The realtime module's tables: the per-user event log and its heads, and
// the single-use tickets. Named SQL, both dialects.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"
#include "modules/realtime/event.hpp"
#include "modules/users/data_keys.hpp"

namespace companion::realtime {

// Where a user's log stands: the last seq handed out, and up to which seq
// events were pruned (0: none).
struct Head {
  std::int64_t last_seq = 0;
  std::int64_t pruned_seq = 0;
};

// An event's data (a notification's title names the interview) is stored
// sealed with the user's data key (users/field_seal.hpp).
class RealtimeRepository {
 public:
  explicit RealtimeRepository(users::DataKeys& keys) : keys_(keys) {}

  // The user's next seq (creating the head); nullopt when the user is gone.
  // On PostgreSQL the head row stays locked until commit, so one user's
  // events commit in seq order.
  std::optional<std::int64_t> next_seq(db::Connection& c, const std::string& user_id);
  // False (nothing stored) for an account being erased.
  bool insert(db::Connection& c, const Event& e);
  Head head(db::Connection& c, const std::string& user_id);
  // Stored events with after < seq <= up_to, in order, at most `limit`.
  std::vector<Event> between(db::Connection& c, const std::string& user_id, std::int64_t after,
                             std::int64_t up_to, std::size_t limit);
  // Removes events created before `before_ms` (at most `limit`, oldest
  // first), raising each user's pruned_seq; returns how many went.
  std::size_t prune(db::Connection& c, std::int64_t before_ms, std::size_t limit);

  void insert_ticket(db::Connection& c, const std::string& hash, const std::string& user_id,
                     const std::string& session_id, std::int64_t expires_at_ms);
  // Deletes the ticket and returns (user, session) if it had not expired.
  std::optional<std::pair<std::string, std::string>> take_ticket(db::Connection& c,
                                                                 const std::string& hash,
                                                                 std::int64_t now_ms);
  std::size_t remove_expired_tickets(db::Connection& c, std::int64_t now_ms);

 private:
  users::DataKeys& keys_;
};

}  // namespace companion::realtime
