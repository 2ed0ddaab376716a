#pragma once
// UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then randomness. Ids made by
// one generator are strictly increasing, also within one millisecond (the
// random tail is incremented, RFC 9562 §6.2 method 2), so sorting by id sorts
// by creation.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "infra/clock/clock.hpp"

namespace companion::crypto {

class UuidV7Generator {
 public:
  explicit UuidV7Generator(const Clock& clock) : clock_(clock) {}
  std::string next();  // canonical lowercase text form

 private:
  const Clock& clock_;
  std::mutex mutex_;
  std::int64_t last_ms_ = -1;
  unsigned char last_[16] = {};
};

// True for the canonical 8-4-4-4-12 hex form (either case).
bool is_uuid(std::string_view text);
// Lowercases a valid UUID.
std::string normalize_uuid(std::string_view text);
// The millisecond timestamp of a v7 UUID.
std::int64_t uuid_v7_millis(std::string_view uuid);

}  // namespace companion::crypto
