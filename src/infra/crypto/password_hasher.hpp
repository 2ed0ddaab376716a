#pragma once
// argon2id password hashing (libsodium). The parameters default to OWASP's
// minimum for argon2id (m = 19 MiB, t = 2, p = 1) and are encoded in each
// hash, so raising them later keeps old hashes verifiable.
#include <cstddef>
#include <string>
#include <string_view>

namespace companion::crypto {

struct PasswordHashSettings {
  unsigned long long ops_limit = 2;
  std::size_t mem_limit_bytes = 19 * 1024 * 1024;
};

class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordHashSettings settings);
  // Blocking and deliberately slow: run on the blocking pool.
  std::string hash(std::string_view password) const;
  bool verify(std::string_view hash, std::string_view password) const;
  // A hash of a random password, to spend the same time on unknown emails.
  const std::string& decoy_hash() const { return decoy_; }

 private:
  PasswordHashSettings settings_;
  std::string decoy_;
};

}  // namespace companion::crypto
