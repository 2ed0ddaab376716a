#include "infra/crypto/uuid.hpp"

#include <sodium.h>

#include <cctype>
#include <cstring>

#include "infra/crypto/encoding.hpp"

namespace companion::crypto {
namespace {

std::string format(const unsigned char (&b)[16]) {
  auto out = hex_encode(std::string_view(reinterpret_cast<const char*>(b), 16));
  for (std::size_t at : {8, 13, 18, 23}) out.insert(at, 1, '-');
  return out;
}

// Adds one to the 74 random bits (rand_a and rand_b), skipping the version
// and variant bits. Returns false on overflow.
bool increment_random(unsigned char (&b)[16]) {
  for (int i = 15; i >= 6; --i) {
    if (i == 8) {
      unsigned low = (b[8] & 0x3F) + 1;
      b[8] = static_cast<unsigned char>(0x80 | (low & 0x3F));
      if (low <= 0x3F) return true;
      continue;
    }
    if (i == 6) {
      unsigned low = (b[6] & 0x0F) + 1;
      b[6] = static_cast<unsigned char>(0x70 | (low & 0x0F));
      return low <= 0x0F;
    }
    if (++b[i] != 0) return true;
  }
  return false;
}

}  // namespace

std::string UuidV7Generator::next() {
  std::lock_guard lock(mutex_);
  std::int64_t ms = clock_.now_ms();
  if (ms <= last_ms_) {
    // Same (or an earlier, if the clock stepped back) millisecond: keep the
    // last timestamp and count up, so ids stay ordered.
    if (increment_random(last_)) return format(last_);
    ms = last_ms_ + 1;  // 2^74 ids in one ms: borrow the next millisecond
  }
  last_ms_ = ms;
  for (int i = 0; i < 6; ++i) last_[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  randombytes_buf(last_ + 6, 10);
  last_[6] = static_cast<unsigned char>(0x70 | (last_[6] & 0x0F));
  last_[8] = static_cast<unsigned char>(0x80 | (last_[8] & 0x3F));
  // Leave headroom for counting within this millisecond.
  last_[9] &= 0x7F;
  return format(last_);
}

bool is_uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(t[i]))) {
      return false;
    }
  }
  return true;
}

std::string normalize_uuid(std::string_view t) {
  std::string out(t);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::int64_t uuid_v7_millis(std::string_view uuid) {
  std::string hex;
  for (char c : uuid.substr(0, 13))
    if (c != '-') hex += c;
  return std::stoll(hex, nullptr, 16);
}

}  // namespace companion::crypto
