#pragma once
// Interviews: the user's records of an interview and its lifecycle. Every
// call is scoped to its owner; another user's id reads as "not found".
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/outbox/outbox.hpp"
#include "infra/queue/envelope.hpp"
#include "infra/queue/worker.hpp"
#include "modules/interviews/failure.hpp"
#include "modules/interviews/interview.hpp"
#include "modules/interviews/interviews_repository.hpp"
#include "modules/realtime/realtime_service.hpp"
#include "modules/stage.hpp"

namespace companion::interviews {

class InterviewsService {
 public:
  // Every status change is announced to the owner (realtime) in the
  // transaction that makes it: interview.status, and interview.completed or
  // interview.failed where it ends.
  // `keys` seal the interviews' personal fields.
  InterviewsService(db::Database& db, users::DataKeys& keys, const Clock& clock,
                    crypto::UuidV7Generator& ids, outbox::Outbox& outbox,
                    realtime::RealtimeService& realtime, log::Logger& logger);

  boost::asio::awaitable<Interview> create(std::string user_id, NewInterview input);
  boost::asio::awaitable<Interview> get(std::string user_id, std::string id);
  boost::asio::awaitable<Page> list(std::string user_id, std::optional<Cursor> after, int limit);
  boost::asio::awaitable<Interview> update(std::string user_id, std::string id,
                                           InterviewPatch patch);
  boost::asio::awaitable<void> remove(std::string user_id, std::string id);

  // Runs in the transaction that deletes an interview, before the row goes
  // (other modules list what they stored for it, such as recording
  // objects). Register while composing, before serving.
  using RemoveHook = std::function<void(db::Connection&, const std::string& interview_id)>;
  void on_remove(RemoveHook hook) { remove_hooks_.push_back(std::move(hook)); }

  // Retention or a withdrawn consent removed part of the interview (`what`:
  // "recording" or "transcript", which takes the analysis with it): the
  // interview says so in `purged`. Without its recording, an interview that
  // was waiting to be processed (uploaded, failed, cancelled) is back to
  // `created`. Returns false for an unknown id.
  bool purged_in(db::Connection& c, const std::string& id, std::string_view what,
                 std::string_view reason);
  // Locks the interview (PostgreSQL) and tells whether it exists and is not
  // being uploaded or processed: retention leaves it alone otherwise.
  bool lock_idle_in(db::Connection& c, const std::string& id);

  // Erasure: deletes up to `limit` of the user's interviews as remove()
  // does (the hooks run); returns how many (0: none are left).
  std::size_t remove_some_of_user_in(db::Connection& c, const std::string& user_id, int limit);

  // The interview's owner and status, for a module acting on it in its own
  // transaction; nullopt for an unknown id or another user's.
  std::optional<Status> status_in(db::Connection& c, const std::string& user_id,
                                  const std::string& id);
  // How many of the user's interviews have a recording waiting for or in
  // processing (uploaded, transcribing, analyzing), `except` not counted.
  std::int64_t in_processing_in(db::Connection& c, const std::string& user_id,
                                const std::optional<std::string>& except);

  // For the uploads module. The first byte of a recording arrived: the
  // interview moves to `uploading`; returns the status it had (to restore
  // if the upload fails). 404 for another user's interview; 409 while its
  // recording is being processed.
  boost::asio::awaitable<Status> begin_upload(std::string user_id, std::string id);
  boost::asio::awaitable<void> restore_status(std::string user_id, std::string id, Status status);
  // The same, inside the caller's transaction.
  std::optional<Status> begin_upload_in(db::Connection& c, const std::string& user_id,
                                        const std::string& id);
  void restore_status_in(db::Connection& c, const std::string& user_id, const std::string& id,
                         Status status);
  // The uploaded file was refused (not audio, corrupt, no audio stream): an
  // interview that has no recording becomes `failed` with the reason; one
  // that has a recording keeps it and gets back `previous`.
  void reject_upload_in(db::Connection& c, const std::string& user_id, const std::string& id,
                        Status previous, const std::string& reason);
  boost::asio::awaitable<void> reject_upload(std::string user_id, std::string id, Status previous,
                                             std::string reason);
  // Inside the uploads module's transaction: the recording is stored and a
  // new processing run starts (its id is the returned interview's run_id).
  Interview attach_recording_in(db::Connection& c, const std::string& user_id,
                                const std::string& id, const std::string& recording_json);

  // Processing, for the user. Cancel stops the current run (its stage
  // stops at its next check) and is idempotent; 409 unless the interview is
  // being processed or already cancelled. Retry starts a new run after the
  // last stage the previous one finished; 409 unless failed or cancelled.
  // `traceparent`: the caller's span, carried by the events they cause.
  boost::asio::awaitable<Interview> cancel(std::string user_id, std::string id,
                                           std::string traceparent = {});
  boost::asio::awaitable<Interview> retry(std::string user_id, std::string id,
                                          std::string traceparent = {});
  // Analyses the stored transcript again (a new run from the analyze
  // stage), with a new job description when one is given (null clears it).
  // 409 while the interview is being processed, or before it has a
  // transcript.
  boost::asio::awaitable<Interview> reanalyze(std::string user_id, std::string id,
                                              Patch<std::string> job_description,
                                              std::string traceparent = {});

  // Processing, for the stage workers (by id alone: they act for the
  // owner). A stage starts only for the interview's current run while it is
  // not cancelled or failed: then it returns the interview (now in the
  // stage's status), else nullopt (the job is left over from an earlier
  // run: skip it).
  std::optional<Interview> begin_stage_in(db::Connection& c, const std::string& id,
                                          const std::string& run_id, modules::Stage stage);
  // A progress tick (0..100) in its own transaction; false when the run was
  // cancelled or superseded, so the stage should stop. Blocking: call it
  // from the stage's worker thread.
  bool report_progress(const std::string& id, const std::string& run_id, modules::Stage stage,
                       int percent);
  // The stage finished; the analyze stage completes the interview.
  void finish_stage_in(db::Connection& c, const std::string& id, const std::string& run_id,
                       modules::Stage stage);
  // The stage gave up: the interview fails with a reason a person can read
  // (one of the written ones: failure.hpp), unless the run was cancelled or
  // superseded meanwhile.
  void fail_stage_in(db::Connection& c, const std::string& id, const std::string& run_id,
                     modules::Stage stage, FailureReason reason, int attempts,
                     const std::string& traceparent = {});
  // A stage's job spent its attempts (the queue buried it): the interview
  // of the event's run fails with the reason the last error gives
  // (fail_stage_in), and the line `a stage failed for good` logs the error
  // itself, which a person is not shown.
  boost::asio::awaitable<void> give_up_stage(modules::Stage stage, queue::Envelope event,
                                             queue::Burial burial);
  // The run is current and not cancelled (for a stage checking as it works).
  bool run_active_in(db::Connection& c, const std::string& id, const std::string& run_id);

 private:
  // A new processing run from `status`, announced by `topic` in the same
  // transaction (retry, reanalyze).
  void start_run_in(db::Connection& c, Interview& i, Status status, const char* topic,
                    std::int64_t now, const std::string& traceparent);
  // Stores the changed interview; when its status differs from `before`,
  // the change is announced in the same transaction.
  void save_in(db::Connection& c, const Interview& i, Status before);

  db::Database& db_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  outbox::Outbox& outbox_;
  realtime::RealtimeService& realtime_;
  log::Logger& logger_;
  InterviewsRepository repository_;
  std::vector<RemoveHook> remove_hooks_;
};

}  // namespace companion::interviews
