#include "infra/crypto/password_hasher.hpp"

#include <sodium.h>

#include <stdexcept>

namespace companion::crypto {

PasswordHasher::PasswordHasher(PasswordHashSettings settings) : settings_(settings) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  decoy_ = hash("decoy password that nobody has");
}

std::string PasswordHasher::hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), settings_.ops_limit,
                            settings_.mem_limit_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("argon2id: out of memory");
  }
  return out;
}

bool PasswordHasher::verify(std::string_view hash, std::string_view password) const {
  std::string h(hash);  // needs a terminated string
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

}  // namespace companion::crypto
