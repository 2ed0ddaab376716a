#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "infra/text/patch.hpp"

namespace companion::interviews {

enum class Status {
  kCreated,
  kUploading,
  kUploaded,
  kTranscribing,
  kAnalyzing,
  kCompleted,
  kFailed,
  kCancelled
};
std::string_view to_string(Status s);
Status status_from_string(std::string_view s);

struct Interview {
  std::string id;
  std::string user_id;
  std::string title;
  std::optional<std::string> company;
  std::optional<std::string> role;
  std::optional<std::string> job_description;
  Status status = Status::kCreated;
  std::optional<std::int64_t> scheduled_at_ms;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::optional<std::string> recording_json;  // the contract's `recording` object, or none
  std::optional<std::string> failure_json;    // `failure`, shown while the status is failed
  std::optional<std::string> run_id;          // the current processing run
  std::optional<std::string> finished_stage;  // the last stage that run finished
  std::optional<std::string> progress_json;   // `progress` while a stage runs
  // `purged`: what retention or a withdrawn consent removed, and when.
  std::optional<std::string> purged_json;
};

struct NewInterview {
  std::string title;
  std::optional<std::string> company;
  std::optional<std::string> role;
  std::optional<std::string> job_description;
  std::optional<std::int64_t> scheduled_at_ms;
};

// Absent fields stay as they are; null clears an optional one.
struct InterviewPatch {
  Patch<std::string> title;
  Patch<std::string> company;
  Patch<std::string> role;
  Patch<std::string> job_description;
  Patch<std::int64_t> scheduled_at_ms;
};

// A position in a newest-first list: the last item's (createdAt, id).
struct Cursor {
  std::int64_t created_at_ms = 0;
  std::string id;
};
std::string encode_cursor(const Cursor& c);
// nullopt for anything this service did not produce.
std::optional<Cursor> decode_cursor(std::string_view text);

struct Page {
  std::vector<Interview> items;
  std::optional<Cursor> next;
};

}  // namespace companion::interviews
