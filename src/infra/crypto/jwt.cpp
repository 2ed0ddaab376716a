#include "infra/crypto/jwt.hpp"

#include <boost/json.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include "infra/crypto/encoding.hpp"

namespace companion::crypto {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxTokenLength = 4096;
constexpr std::size_t kBlock = 64;  // SHA-256's block size

bool fail(std::string* why, const char* reason) {
  if (why) *why = reason;
  return false;
}

// The object lives in `storage` (a token's few claims: one arena, no
// allocation per value).
std::optional<json::object> parse_object(std::string_view encoded, json::storage_ptr storage) {
  auto raw = base64url_decode_public(encoded);
  if (!raw) return std::nullopt;
  json::parse_options options;
  options.max_depth = 4;
  // The parser's working stack on this stack frame, not the heap.
  unsigned char scratch[512];
  json::parser parser({}, options, scratch, sizeof scratch);
  parser.reset(std::move(storage));  // where the value goes
  boost::system::error_code ec;
  parser.write(*raw, ec);
  if (ec) return std::nullopt;
  auto value = parser.release();
  if (!value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

std::optional<std::int64_t> int_claim(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() < (1ull << 62)) return std::int64_t(v->as_uint64());
  return std::nullopt;
}

}  // namespace

void JwtCodec::DigestFree::operator()(EVP_MD_CTX* c) const {
  EVP_MD_CTX_free(c);
}

JwtCodec::JwtCodec(JwtSettings settings, const Clock& clock)
    : settings_(std::move(settings)),
      clock_(clock),
      inner_(EVP_MD_CTX_new()),
      outer_(EVP_MD_CTX_new()) {
  if (settings_.secret.size() < 32)
    throw std::invalid_argument("JWT secret must be at least 32 bytes");
  encoded_header_ = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  // A key longer than the block is hashed first (RFC 2104, section 2).
  std::string key = settings_.secret.size() > kBlock ? sha256(settings_.secret) : settings_.secret;
  std::array<unsigned char, kBlock> ipad{}, opad{};
  ipad.fill(0x36);
  opad.fill(0x5c);
  for (std::size_t i = 0; i < key.size(); ++i) {
    ipad[i] ^= static_cast<unsigned char>(key[i]);
    opad[i] ^= static_cast<unsigned char>(key[i]);
  }
  if (!inner_ || !outer_ || EVP_DigestInit_ex(inner_.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(inner_.get(), ipad.data(), ipad.size()) != 1 ||
      EVP_DigestInit_ex(outer_.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(outer_.get(), opad.data(), opad.size()) != 1)
    throw std::runtime_error("OpenSSL could not set up HMAC-SHA256");
  OPENSSL_cleanse(ipad.data(), ipad.size());
  OPENSSL_cleanse(opad.data(), opad.size());
  OPENSSL_cleanse(key.data(), key.size());
}

JwtCodec::~JwtCodec() = default;

std::string JwtCodec::mac(std::string_view input) const {
  // Scratch for the copies, one per thread (the codec is shared by all).
  thread_local std::unique_ptr<EVP_MD_CTX, DigestFree> work(EVP_MD_CTX_new());
  unsigned char inner_hash[EVP_MAX_MD_SIZE];
  unsigned int inner_size = 0;
  std::string out(32, '\0');
  unsigned int out_size = 0;
  if (!work || EVP_MD_CTX_copy_ex(work.get(), inner_.get()) != 1 ||
      EVP_DigestUpdate(work.get(), input.data(), input.size()) != 1 ||
      EVP_DigestFinal_ex(work.get(), inner_hash, &inner_size) != 1 ||
      EVP_MD_CTX_copy_ex(work.get(), outer_.get()) != 1 ||
      EVP_DigestUpdate(work.get(), inner_hash, inner_size) != 1 ||
      EVP_DigestFinal_ex(work.get(), reinterpret_cast<unsigned char*>(out.data()), &out_size) !=
          1 ||
      out_size != out.size())
    throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  return out;
}

std::string JwtCodec::sign(AccessClaims& claims) const {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch());
  claims.issued_at = now.count();
  claims.expires_at = (now + settings_.ttl).count();
  json::object payload;
  payload["iss"] = settings_.issuer;
  payload["sub"] = claims.subject;
  payload["sid"] = claims.session_id;
  payload["iat"] = claims.issued_at;
  payload["exp"] = claims.expires_at;
  std::string signing_input = encoded_header_ + '.' + base64url_encode(json::serialize(payload));
  auto signature = mac(signing_input);
  return signing_input + '.' + base64url_encode(signature);
}

std::optional<AccessClaims> JwtCodec::verify(std::string_view token, std::string* why) const {
  if (token.empty() || token.size() > kMaxTokenLength) return fail(why, "bad length"), std::nullopt;
  auto dot1 = token.find('.');
  auto dot2 = dot1 == token.npos ? token.npos : token.find('.', dot1 + 1);
  if (dot2 == token.npos || token.find('.', dot2 + 1) != token.npos)
    return fail(why, "not three parts"), std::nullopt;

  // The header this service writes is checked by comparison; any other
  // header is parsed and held to the same rules.
  auto header_part = token.substr(0, dot1);
  // Declared before the objects that live in it, so it outlives them.
  unsigned char arena[2048];
  json::monotonic_resource claims_storage(arena, sizeof arena);
  std::optional<json::object> header;
  if (header_part != encoded_header_) header = parse_object(header_part, &claims_storage);
  if (header_part != encoded_header_ && !header)
    return fail(why, "header is not a JSON object"), std::nullopt;
  if (header)
    for (auto& [key, value] : *header) {
      if (key == "alg") {
        if (!value.is_string() || value.as_string() != "HS256")
          return fail(why, "alg is not HS256"), std::nullopt;
      } else if (key == "typ") {
        if (!value.is_string() || value.as_string() != "JWT")
          return fail(why, "typ is not JWT"), std::nullopt;
      } else {
        return fail(why, "unexpected header parameter"), std::nullopt;
      }
    }
  if (header && !header->contains("alg")) return fail(why, "alg missing"), std::nullopt;

  auto signature = base64url_decode_public(token.substr(dot2 + 1));
  if (!signature) return fail(why, "signature not base64url"), std::nullopt;
  auto expected = mac(token.substr(0, dot2));
  if (!constant_time_equal(*signature, expected)) return fail(why, "bad signature"), std::nullopt;

  auto payload = parse_object(token.substr(dot1 + 1, dot2 - dot1 - 1), &claims_storage);
  if (!payload) return fail(why, "payload is not a JSON object"), std::nullopt;
  AccessClaims claims;
  auto* sub = payload->if_contains("sub");
  auto* sid = payload->if_contains("sid");
  auto* iss = payload->if_contains("iss");
  if (!sub || !sub->is_string() || !sid || !sid->is_string())
    return fail(why, "sub or sid missing"), std::nullopt;
  if (!iss || !iss->is_string() || iss->as_string() != settings_.issuer)
    return fail(why, "wrong issuer"), std::nullopt;
  claims.subject = std::string(sub->as_string());
  claims.session_id = std::string(sid->as_string());
  auto iat = int_claim(*payload, "iat");
  auto exp = int_claim(*payload, "exp");
  if (!iat || !exp) return fail(why, "iat or exp missing"), std::nullopt;
  claims.issued_at = *iat;
  claims.expires_at = *exp;
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  auto leeway = settings_.leeway.count();
  if (now - leeway >= claims.expires_at) return fail(why, "expired"), std::nullopt;
  if (claims.issued_at > now + leeway) return fail(why, "issued in the future"), std::nullopt;
  if (payload->contains("nbf")) {
    auto nbf = int_claim(*payload, "nbf");
    if (!nbf || *nbf > now + leeway) return fail(why, "not yet valid"), std::nullopt;
  }
  return claims;
}

}  // namespace companion::crypto
