#include "modules/privacy/erasure_service.hpp"

#include <stdexcept>

#include "infra/idempotency/db_idempotency_store.hpp"

namespace companion::privacy {
namespace {

constexpr int kInterviewsPerTransaction = 50;
constexpr auto kLookInterval = std::chrono::minutes(1);

}  // namespace

ErasureService::ErasureService(ErasureParts parts) : p_(parts) {}

boost::asio::awaitable<void> ErasureService::request(auth::Session caller, std::string password,
                                                     auth::Ip ip) {
  co_await p_.auth.check_password(caller, std::move(password));
  const auto& user_id = caller.user_id;
  auto ended = co_await p_.db.write([&](db::Connection& c) {
    repository_.insert(c, {p_.audit.subject_of(user_id), user_id, p_.clock.now_ms()});
    p_.users.release_identity_in(c, user_id);
    p_.keys.destroy_in(c, user_id);
    auto sessions = p_.auth.revoke_all_in(c, user_id);
    p_.audit.append_in(c, {"user.erasure_requested",
                           user_id,
                           ip,
                           {{"sessionId", caller.session_id},
                            {"sessionsEnded", static_cast<std::int64_t>(sessions.size())}}});
    return sessions;
  });
  p_.auth.sessions_ended(user_id, ended);
  p_.realtime.disconnect(user_id, std::nullopt);
  p_.logger.info("erasure requested", {{"subject", p_.audit.subject_of(user_id)}});
  requested_ = true;
}

boost::asio::awaitable<std::size_t> ErasureService::tick() {
  auto now = std::chrono::steady_clock::now();
  if (!requested_.exchange(false) && now - last_look_ < kLookInterval) co_return 0;
  bool first = last_look_ == std::chrono::steady_clock::time_point{};
  last_look_ = now;
  auto done = co_await run_pending();
  // A process stopped between an erasure's last rows and its checkpoint
  // left old pages in the WAL: the first look after a start folds it in.
  if (first && done == 0) co_await checkpoint();
  co_return done;
}

boost::asio::awaitable<std::size_t> ErasureService::run_pending() {
  // One run at a time in this process; another process may run the same
  // erasure, which is harmless (every step is idempotent).
  if (running_.exchange(true)) {
    requested_ = true;
    co_return 0;
  }
  std::size_t done = 0;
  try {
    auto pending =
        co_await p_.db.read([&](db::Connection& c) { return repository_.pending(c, 20); });
    // One that cannot finish yet (storage down) does not hold up the rest.
    std::exception_ptr first_failure;
    for (auto& erasure : pending) {
      try {
        co_await erase(std::move(erasure));
        ++done;
      } catch (...) {
        if (!first_failure) first_failure = std::current_exception();
      }
    }
    if (first_failure) std::rethrow_exception(first_failure);
  } catch (...) {
    running_ = false;
    requested_ = true;  // try again on the next tick
    throw;
  }
  running_ = false;
  co_return done;
}

boost::asio::awaitable<void> ErasureService::checkpoint() {
  bool clean = false;
  for (int attempt = 0; attempt < 20 && !clean; ++attempt)
    clean =
        co_await p_.db.write_single([&](db::Connection& c) { return repository_.checkpoint(c); });
  if (!clean)
    p_.logger.warn(
        "the SQLite WAL could not be truncated while readers were busy; the next erasure or "
        "start folds it in");
}

std::vector<std::string> ErasureService::stored_keys_in(db::Connection& c,
                                                        const std::string& user) {
  auto keys = p_.recordings.keys_of_user_in(c, user);
  for (auto more : {p_.tus.keys_of_user_in(c, user), p_.exports.keys_of_user_in(c, user)})
    keys.insert(keys.end(), more.begin(), more.end());
  return keys;
}

void ErasureService::step(std::string_view name) {
  if (step_hook_) step_hook_(name);
}

boost::asio::awaitable<void> ErasureService::erase(Erasure e) {
  const auto& user = e.user_id;
  // The stored objects first: listed for removal (durably) before the rows
  // that name them go, so no crash can leave one nobody will remove.
  step("objects listed");
  auto keys = co_await p_.db.write([&](db::Connection& c) {
    auto keys = stored_keys_in(c, user);
    p_.recordings.discard_in(c, keys);
    return keys;
  });
  // Interviews a batch per transaction (their transcripts, analyses and
  // recordings go with them), so no transaction grows with the account.
  step("interviews");
  std::int64_t interviews = 0;
  for (;;) {
    auto n = co_await p_.db.write([&](db::Connection& c) {
      return p_.interviews.remove_some_of_user_in(c, user, kInterviewsPerTransaction);
    });
    interviews += static_cast<std::int64_t>(n);
    if (n == 0) break;
    step("interviews batch");
  }
  step("objects removed");
  if (auto failed = co_await p_.recordings.collect_garbage(keys); failed > 0)
    throw std::runtime_error("erasure: " + std::to_string(failed) +
                             " stored objects could not be removed yet; retrying");
  // Payments before the rows that name the customer: a failure here (the
  // provider unreachable) leaves the job to run again.
  step("payments");
  if (p_.close_payments) co_await p_.close_payments(user);
  // The rest cascades from the user's row: sessions, notifications, events,
  // tickets, webhooks and their deliveries, uploads, preferences, the
  // subscription and its usage.
  step("rows");
  co_await p_.db.write([&](db::Connection& c) {
    // Anything stored since step 1 (an upload or export that held the key
    // before it was destroyed) is listed for the storage sweeper.
    p_.recordings.discard_in(c, stored_keys_in(c, user));
    idempotency::DbIdempotencyStore::forget_user_in(c, user);
    p_.keys.destroy_in(c, user);
    p_.users.remove_in(c, user);
    repository_.complete(c, e.subject, p_.clock.now_ms());
    p_.audit.append_in(
        c, {"user.erased",
            user,
            std::nullopt,
            {{"interviews", interviews}, {"objects", static_cast<std::int64_t>(keys.size())}}});
  });
  // SQLite: deleted content was zeroed in place (secure_delete), but the
  // WAL still holds earlier images of those pages until a checkpoint folds
  // it in and truncates it.
  step("checkpoint");
  co_await checkpoint();
  p_.logger.info("erasure finished", {{"subject", e.subject},
                                      {"interviews", interviews},
                                      {"objects", static_cast<std::int64_t>(keys.size())}});
}

}  // namespace companion::privacy
