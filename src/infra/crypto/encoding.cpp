#include "infra/crypto/encoding.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <array>
#include <stdexcept>

namespace companion::crypto {
namespace {
constexpr int kBase64Url = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kBase64Url), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes_of(bytes), bytes.size(), kBase64Url);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// libsodium refuses characters outside the alphabet (no `ignore` set, and
// no end pointer, so it may not stop early), an impossible length and
// non-zero leftover bits, so each byte string has one encoding.
std::optional<std::string> base64url_decode(std::string_view text) {
  // libsodium 1.0.18 reads a byte of 0x80 or above as a base64 character
  // (a signed char): all 128 of them decode. Refused here, in time that
  // depends only on the length.
  unsigned char high = 0;
  for (unsigned char c : text) high |= c;
  if (high & 0x80) return std::nullopt;
  std::string out(text.size() * 3 / 4, '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, kBase64Url) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

namespace {
// Each character's six bits; 64 for a character outside the alphabet.
constexpr std::array<std::uint8_t, 256> kSextets = [] {
  std::array<std::uint8_t, 256> t{};
  t.fill(64);
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  return t;
}();
}  // namespace

std::optional<std::string> base64url_decode_public(std::string_view text) {
  const std::size_t n = text.size();
  const std::size_t rest = n % 4;
  if (rest == 1) return std::nullopt;  // no byte string encodes to that
  std::string out(n / 4 * 3 + (rest ? rest - 1 : 0), '\0');
  const auto* in = bytes_of(text);
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  // Four characters to three bytes; a character outside the alphabet
  // leaves bit 6 in `bad` (checked once, at the end).
  std::uint32_t bad = 0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4, o += 3) {
    std::uint32_t a = kSextets[in[i]], b = kSextets[in[i + 1]], c = kSextets[in[i + 2]],
                  d = kSextets[in[i + 3]];
    bad |= a | b | c | d;
    std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = static_cast<unsigned char>(v >> 16);
    o[1] = static_cast<unsigned char>(v >> 8);
    o[2] = static_cast<unsigned char>(v);
  }
  if (rest >= 2) {
    std::uint32_t a = kSextets[in[i]], b = kSextets[in[i + 1]];
    std::uint32_t c = rest == 3 ? kSextets[in[i + 2]] : 0;
    bad |= a | b | c;
    std::uint32_t v = (a << 18) | (b << 12) | (c << 6);
    o[0] = static_cast<unsigned char>(v >> 16);
    if (rest == 3) o[1] = static_cast<unsigned char>(v >> 8);
    // The bits left over must be zero: one encoding per byte string.
    if ((rest == 2 ? (b & 15) : (c & 3)) != 0) return std::nullopt;
  }
  if (bad & 64) return std::nullopt;
  return out;
}

std::string base64url_encode_public(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const auto* in = bytes_of(bytes);
  const std::size_t n = bytes.size();
  std::string out((n * 4 + 2) / 3, '\0');
  char* o = out.data();
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = (std::uint32_t(in[i]) << 16) | (std::uint32_t(in[i + 1]) << 8) | in[i + 2];
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    std::uint32_t v = std::uint32_t(in[i]) << 16;
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    std::uint32_t v = (std::uint32_t(in[i]) << 16) | (std::uint32_t(in[i + 1]) << 8);
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string hex_encode(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes_of(bytes), bytes.size());
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(),
            reinterpret_cast<unsigned char*>(out.data()), &len)) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  out.resize(len);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

}  // namespace companion::crypto
