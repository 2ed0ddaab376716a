#pragma once
// HS256 JSON Web Tokens for access tokens, verified strictly: the header
// must be exactly {"alg":"HS256"} with an optional "typ":"JWT"; anything else
// (alg "none", another algorithm, "crit", key references) is refused.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <memory>

#include "infra/clock/clock.hpp"

struct evp_md_ctx_st;
using EVP_MD_CTX = evp_md_ctx_st;

namespace companion::crypto {

struct AccessClaims {
  std::string subject;          // sub: the user id
  std::string session_id;       // sid: the refresh-token family this token came from
  std::int64_t issued_at = 0;   // iat, seconds
  std::int64_t expires_at = 0;  // exp, seconds
};

struct JwtSettings {
  std::string secret;  // at least 32 bytes
  std::chrono::seconds ttl{900};
  std::chrono::seconds leeway{5};  // clock skew allowed between instances
  std::string issuer = "interview-companion";
};

class JwtCodec {
 public:
  JwtCodec(JwtSettings settings, const Clock& clock);
  ~JwtCodec();
  JwtCodec(const JwtCodec&) = delete;
  JwtCodec& operator=(const JwtCodec&) = delete;

  // Returns the token and fills iat/exp in `claims`.
  std::string sign(AccessClaims& claims) const;
  // The claims of a valid token; nullopt with `why` (for the log) otherwise.
  std::optional<AccessClaims> verify(std::string_view token, std::string* why = nullptr) const;
  std::chrono::seconds ttl() const { return settings_.ttl; }

 private:
  std::string mac(std::string_view signing_input) const;

  JwtSettings settings_;
  const Clock& clock_;
  std::string encoded_header_;
  // HMAC-SHA256 (RFC 2104) with OpenSSL's SHA-256, which uses the CPU's
  // SHA instructions: the inner and outer digests with the padded key
  // already absorbed, copied per token. libsodium's portable SHA-256 cost
  // 19,000 instructions a token (callgrind, docs/benchmarks.md).
  struct DigestFree {
    void operator()(EVP_MD_CTX* c) const;
  };
  std::unique_ptr<EVP_MD_CTX, DigestFree> inner_;
  std::unique_ptr<EVP_MD_CTX, DigestFree> outer_;
};

}  // namespace companion::crypto
