#pragma once
// What uploads and the pipeline ask of billing, so neither knows plans or
// payments: the composition root hands them the billing service. Every
// call runs in the caller's transaction; a refusal is a QuotaExceeded
// (402) thrown there, which rolls the caller's work back with it.
#include <cstdint>
#include <optional>
#include <string>

#include "infra/db/database.hpp"

namespace companion::modules {

class Metering {
 public:
  virtual ~Metering() = default;

  // An upload is about to start (a PUT, a tus creation): refused when the
  // period's minutes are used up, when `bytes` (if known) is over the
  // plan's upload size, or when the user already has as many recordings
  // waiting or in processing as the plan allows (`interview_id`, when
  // known, is not counted: it is the one being replaced).
  virtual void admit_upload_in(db::Connection& c, const std::string& user_id,
                               const std::optional<std::string>& interview_id,
                               std::optional<std::uint64_t> bytes) = 0;
  // A finished recording's size (the length may have been deferred).
  virtual void admit_size_in(db::Connection& c, const std::string& user_id,
                             std::uint64_t bytes) = 0;

  // The metering saga, each step idempotent by the job's event id:
  // reserve when transcription starts (refused when the recording is
  // longer than the plan allows or than what is left of the period), then
  // commit on success or release on failure or cancellation. Commit and
  // release change only a reservation still open.
  virtual void reserve_in(db::Connection& c, const std::string& job_id, const std::string& user_id,
                          const std::string& interview_id, std::int64_t duration_ms) = 0;
  virtual void commit_in(db::Connection& c, const std::string& job_id) = 0;
  virtual void release_in(db::Connection& c, const std::string& job_id) = 0;
  // Every open reservation of the interview (it was cancelled or deleted,
  // or its run was superseded).
  virtual void release_interview_in(db::Connection& c, const std::string& interview_id) = 0;
};

}  // namespace companion::modules
