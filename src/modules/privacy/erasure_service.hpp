#pragma once
// Erasure (DELETE /v1/me): at once, every token of the user is refused,
// their sockets close, the email is free again and their data key is
// destroyed (crypto-shredding: every ciphertext of theirs, wherever a copy
// lies, is unreadable from then on). Then a job removes their rows and
// stored objects. The job is idempotent and resumes after a crash: the
// erasure is recorded in the request's transaction, and whatever process
// runs the housekeeping finds it until it is marked done. What stays is a
// tombstone naming the user by the audit trail's keyed hash only.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/auth/auth_service.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/privacy/erasure_repository.hpp"
#include "modules/privacy/export_service.hpp"
#include "modules/realtime/realtime_service.hpp"
#include "modules/uploads/recordings_service.hpp"
#include "modules/uploads/tus_service.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/users/users_service.hpp"

namespace companion::privacy {

// What the erasure job reaches into: each module removes its own rows.
struct ErasureParts {
  db::Database& db;
  const Clock& clock;
  auth::AuthService& auth;
  users::UsersService& users;
  users::DataKeys& keys;
  interviews::InterviewsService& interviews;
  uploads::RecordingsService& recordings;
  uploads::TusService& tus;
  audit::AuditLog& audit;
  realtime::RealtimeService& realtime;
  ExportService& exports;
  log::Logger& logger;
  // Billing's part, before the rows go: the payment provider forgets the
  // customer (and stops charging). Empty: nothing to close.
  std::function<boost::asio::awaitable<void>(std::string user_id)> close_payments = {};
};

class ErasureService {
 public:
  explicit ErasureService(ErasureParts parts);

  // Checks the password (Forbidden otherwise), then erases as above; the
  // job runs on the next housekeeping tick.
  boost::asio::awaitable<void> request(auth::Session caller, std::string password,
                                       auth::Ip ip = {});

  // Housekeeping, every second: runs pending erasures when one was asked
  // for here, and otherwise looks for any (another process's, one cut
  // short by a crash) once a minute. Returns how many it finished.
  boost::asio::awaitable<std::size_t> tick();
  // Runs every pending erasure to its end now.
  boost::asio::awaitable<std::size_t> run_pending();

  // Tests: called with each step's name before it runs; a throw stops the
  // job there, as a crash would.
  void on_step(std::function<void(std::string_view)> hook) { step_hook_ = std::move(hook); }

 private:
  boost::asio::awaitable<void> erase(Erasure erasure);
  void step(std::string_view name);
  // The stored objects of the user's recordings, uploads and exports.
  std::vector<std::string> stored_keys_in(db::Connection& c, const std::string& user);
  boost::asio::awaitable<void> checkpoint();

  ErasureParts p_;
  ErasureRepository repository_;
  std::function<void(std::string_view)> step_hook_;
  std::atomic<bool> requested_{true};  // true: look once at start
  std::atomic<bool> running_{false};
  std::chrono::steady_clock::time_point last_look_{};
};

}  // namespace companion::privacy
