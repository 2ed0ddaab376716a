#include "infra/crypto/chunked_cipher.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

#include "infra/crypto/encoding.hpp"

namespace companion::crypto {
namespace {

constexpr char kMagic[4] = {'I', 'C', 'R', '1'};
constexpr std::size_t kFileNonceBytes = 20;
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == kFileNonceBytes + 4);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kTagBytes);

void put_u32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

void init_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

ChunkedCipher::ChunkedCipher(std::string key, std::string header, std::uint32_t chunk_size)
    : key_(std::move(key)), header_(std::move(header)), chunk_size_(chunk_size) {}

ChunkedCipher ChunkedCipher::create(std::string_view key, std::uint32_t chunk_size) {
  init_sodium();
  if (key.size() != kKeyBytes) throw std::invalid_argument("data key must be 32 bytes");
  if (chunk_size < 1024 || chunk_size > (16u << 20)) throw std::invalid_argument("bad chunk size");
  std::string header(kHeaderBytes, '\0');
  std::memcpy(header.data(), kMagic, 4);
  header[4] = 1;
  put_u32(header.data() + 8, chunk_size);
  randombytes_buf(header.data() + 12, kFileNonceBytes);
  return ChunkedCipher(std::string(key), std::move(header), chunk_size);
}

std::optional<ChunkedCipher> ChunkedCipher::from_header(std::string_view key,
                                                        std::string_view header) {
  init_sodium();
  if (key.size() != kKeyBytes || header.size() < kHeaderBytes) return std::nullopt;
  if (std::memcmp(header.data(), kMagic, 4) != 0 || header[4] != 1) return std::nullopt;
  auto chunk_size = get_u32(header.data() + 8);
  if (chunk_size < 1024 || chunk_size > (16u << 20)) return std::nullopt;
  return ChunkedCipher(std::string(key), std::string(header.substr(0, kHeaderBytes)), chunk_size);
}

namespace {
// nonce = file nonce | index; ad = header | index (u64 LE) | final
void derive(const std::string& header, std::uint64_t index, bool final, unsigned char* nonce,
            std::string& ad) {
  if (index > 0xFFFFFFFFull) throw std::length_error("object too large for this format");
  std::memcpy(nonce, header.data() + 12, kFileNonceBytes);
  put_u32(reinterpret_cast<char*>(nonce) + kFileNonceBytes, static_cast<std::uint32_t>(index));
  ad = header;
  for (int i = 0; i < 8; ++i) ad += static_cast<char>(index >> (8 * i));
  ad += final ? '\1' : '\0';
}
}  // namespace

std::string ChunkedCipher::seal(std::uint64_t index, std::string_view plaintext, bool final) const {
  if (plaintext.size() > chunk_size_ || (!final && plaintext.size() != chunk_size_))
    throw std::invalid_argument("chunk has the wrong size");
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  std::string ad;
  derive(header_, index, final, nonce, ad);
  std::string out(plaintext.size() + kTagBytes, '\0');
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.data()), &len,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce,
      reinterpret_cast<const unsigned char*>(key_.data()));
  out.resize(len);
  return out;
}

std::optional<std::string> ChunkedCipher::open(std::uint64_t index, std::string_view sealed,
                                               bool final) const {
  if (sealed.size() < kTagBytes || sealed.size() > chunk_size_ + kTagBytes) return std::nullopt;
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  std::string ad;
  derive(header_, index, final, nonce, ad);
  std::string out(sealed.size() - kTagBytes, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &len, nullptr,
          reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size(),
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce,
          reinterpret_cast<const unsigned char*>(key_.data())) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

std::optional<std::uint64_t> ChunkedCipher::plaintext_size(std::uint64_t sealed_size) const {
  if (sealed_size < kHeaderBytes + kTagBytes) return std::nullopt;
  auto body = sealed_size - kHeaderBytes;
  auto full = body / sealed_chunk_bytes();
  auto rest = body % sealed_chunk_bytes();
  // The final chunk is shorter than a full one (possibly empty: tag only).
  if (rest < kTagBytes) return std::nullopt;
  return full * chunk_size_ + (rest - kTagBytes);
}

std::string seal_box(std::string_view key, std::string_view context, std::string_view plaintext) {
  init_sodium();
  if (key.size() != kKeyBytes) throw std::invalid_argument("key must be 32 bytes");
  std::string out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plaintext.size() + kTagBytes,
                  '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &len,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(context.data()), context.size(), nullptr, nonce,
      reinterpret_cast<const unsigned char*>(key.data()));
  return out;
}

std::optional<std::string> open_box(std::string_view key, std::string_view context,
                                    std::string_view sealed) {
  init_sodium();
  constexpr auto kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (key.size() != kKeyBytes || sealed.size() < kNonce + kTagBytes) return std::nullopt;
  std::string out(sealed.size() - kNonce - kTagBytes, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &len, nullptr,
          reinterpret_cast<const unsigned char*>(sealed.data()) + kNonce, sealed.size() - kNonce,
          reinterpret_cast<const unsigned char*>(context.data()), context.size(),
          reinterpret_cast<const unsigned char*>(sealed.data()),
          reinterpret_cast<const unsigned char*>(key.data())) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

}  // namespace companion::crypto
