#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "infra/text/patch.hpp"
#include "modules/users/email.hpp"

namespace companion::users {

struct User {
  std::string id;
  std::string email;  // as the user typed it, trimmed
  std::string display_name;
  std::string password_hash;  // argon2id, encoded with its parameters
  std::int64_t created_at_ms = 0;
  // Days after which the service removes the user's recordings, and their
  // transcripts and analyses; nullopt keeps them (up to the operator's
  // maximum, when one is set).
  std::optional<std::int64_t> retention_recording_days;
  std::optional<std::int64_t> retention_transcript_days;
};

// A change to the profile: fields left nullopt stay as they are.
struct ProfileChange {
  std::optional<std::string> display_name;
  Patch<std::int64_t> retention_recording_days;  // null: keep
  Patch<std::int64_t> retention_transcript_days;
};

}  // namespace companion::users
