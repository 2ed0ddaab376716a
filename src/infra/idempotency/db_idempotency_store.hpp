#pragma once
// Idempotency-Key records in the database (table idempotency_keys), so a
// replay is answered the same by any instance. Keys live 24 h; a record
// stuck "pending" (its process died) may be taken over after a grace time.
#include <chrono>

#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "infra/http/pipeline.hpp"

namespace companion::idempotency {

// Stored response bodies repeat what the user sent (a title, a job
// description), so they are sealed with the user's key: the users module's
// data keys (users::ResponseSeal) do it.
class BodySeal {
 public:
  virtual ~BodySeal() = default;
  // nullopt: nothing may be stored for the user (the account is being
  // erased).
  virtual std::optional<std::string> seal_in(db::Connection& c, const std::string& user_id,
                                             const std::string& row, std::string_view body) = 0;
  virtual std::string open_in(db::Connection& c, const std::string& user_id, const std::string& row,
                              std::string_view stored) = 0;
};

struct Settings {
  std::chrono::hours retention{24};
  std::chrono::seconds pending_grace{120};
};

class DbIdempotencyStore final : public http::IdempotencyStore {
 public:
  DbIdempotencyStore(db::Database& db, BodySeal& seal, const Clock& clock, Settings settings = {});
  boost::asio::awaitable<Begin> begin(std::string user_id, std::string key,
                                      std::string request_hash) override;
  boost::asio::awaitable<void> complete(std::string user_id, std::string key,
                                        Stored response) override;
  boost::asio::awaitable<void> abandon(std::string user_id, std::string key) override;
  // Deletes records past retention; returns how many.
  boost::asio::awaitable<std::int64_t> sweep();
  // Erasure: every stored response of the user (they may hold titles).
  static void forget_user_in(db::Connection& c, const std::string& user_id);

 private:
  db::Database& db_;
  BodySeal& seal_;
  const Clock& clock_;
  Settings settings_;
};

}  // namespace companion::idempotency
