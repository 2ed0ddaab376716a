#include "infra/crypto/chunked_cipher.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <memory>
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
    : key_(std::move(key)), header_(std::move(header)), chunk_size_(chunk_size) {
  static_assert(crypto_core_hchacha20_INPUTBYTES == 16);
  crypto_core_hchacha20(subkey_.data(), reinterpret_cast<const unsigned char*>(header_.data()) + 12,
                        reinterpret_cast<const unsigned char*>(key_.data()), nullptr);
}

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
constexpr std::size_t kAdBytes = kHeaderBytes + 9;
void derive(const std::string& header, std::uint64_t index, bool final, unsigned char* nonce,
            unsigned char* ad) {
  if (index > 0xFFFFFFFFull) throw std::length_error("object too large for this format");
  std::memcpy(nonce, header.data() + 12, kFileNonceBytes);
  put_u32(reinterpret_cast<char*>(nonce) + kFileNonceBytes, static_cast<std::uint32_t>(index));
  std::memcpy(ad, header.data(), kHeaderBytes);
  for (int i = 0; i < 8; ++i) ad[kHeaderBytes + i] = static_cast<unsigned char>(index >> (8 * i));
  ad[kHeaderBytes + 8] = final ? 1 : 0;
}
}  // namespace

std::string ChunkedCipher::seal(std::uint64_t index, std::string_view plaintext, bool final) const {
  if (plaintext.size() > chunk_size_ || (!final && plaintext.size() != chunk_size_))
    throw std::invalid_argument("chunk has the wrong size");
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  unsigned char ad[kAdBytes];
  derive(header_, index, final, nonce, ad);
  std::string out(plaintext.size() + kTagBytes, '\0');
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.data()), &len,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), ad, sizeof ad,
      nullptr, nonce, reinterpret_cast<const unsigned char*>(key_.data()));
  out.resize(len);
  return out;
}

namespace {
// OpenSSL's ChaCha20-Poly1305 (RFC 8439), and a context for it per thread,
// reused for every chunk the thread seals.
const EVP_CIPHER* chacha20_poly1305() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  if (!cipher) throw std::runtime_error("OpenSSL has no ChaCha20-Poly1305");
  return cipher;
}
EVP_CIPHER_CTX* thread_context() {
  struct Free {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  };
  thread_local const std::unique_ptr<EVP_CIPHER_CTX, Free> context(EVP_CIPHER_CTX_new());
  if (!context) throw std::bad_alloc();
  return context.get();
}
}  // namespace

void ChunkedCipher::seal_in_place(std::uint64_t index, std::span<char> chunk, bool final) const {
  if (chunk.size() < kTagBytes) throw std::invalid_argument("chunk has no room for its tag");
  const auto size = chunk.size() - kTagBytes;
  if (size > chunk_size_ || (!final && size != chunk_size_))
    throw std::invalid_argument("chunk has the wrong size");
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  unsigned char ad[kAdBytes];
  derive(header_, index, final, nonce, ad);
  // XChaCha20-Poly1305 is ChaCha20-Poly1305 under the subkey, with the
  // nonce's last 8 bytes behind 4 zero bytes.
  unsigned char iv[12] = {};
  std::memcpy(iv + 4, nonce + crypto_core_hchacha20_INPUTBYTES, 8);
  auto* context = thread_context();
  const EVP_CIPHER* cipher = EVP_CIPHER_CTX_get0_cipher(context) ? nullptr : chacha20_poly1305();
  auto* text = reinterpret_cast<unsigned char*>(chunk.data());
  int n = 0;
  if (EVP_EncryptInit_ex2(context, cipher, subkey_.data(), iv, nullptr) != 1 ||
      EVP_EncryptUpdate(context, nullptr, &n, ad, sizeof ad) != 1 ||
      EVP_EncryptUpdate(context, text, &n, text, static_cast<int>(size)) != 1 ||
      EVP_EncryptFinal_ex(context, text + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, kTagBytes, text + size) != 1)
    throw std::runtime_error("OpenSSL could not seal a chunk");
}

std::optional<std::string> ChunkedCipher::open(std::uint64_t index, std::string_view sealed,
                                               bool final) const {
  if (sealed.size() < kTagBytes || sealed.size() > chunk_size_ + kTagBytes) return std::nullopt;
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  unsigned char ad[kAdBytes];
  derive(header_, index, final, nonce, ad);
  std::string out(sealed.size() - kTagBytes, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &len, nullptr,
          reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size(), ad, sizeof ad,
          nonce, reinterpret_cast<const unsigned char*>(key_.data())) != 0)
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

bool open_box_in_place(std::string_view key, std::string_view context, std::string& box) {
  init_sodium();
  constexpr auto kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (key.size() != kKeyBytes || box.size() < kNonce + kTagBytes ||
      box.size() - kNonce - kTagBytes > static_cast<std::size_t>(INT32_MAX))
    return false;
  // What libsodium's XChaCha20-Poly1305 decrypts, through OpenSSL's
  // ChaCha20-Poly1305 under the XChaCha20 subkey (as seal_in_place does),
  // at twice libsodium's speed.
  auto* bytes = reinterpret_cast<unsigned char*>(box.data());
  unsigned char subkey[kKeyBytes];
  crypto_core_hchacha20(subkey, bytes, reinterpret_cast<const unsigned char*>(key.data()), nullptr);
  unsigned char iv[12] = {};
  std::memcpy(iv + 4, bytes + crypto_core_hchacha20_INPUTBYTES, 8);
  auto* ctx = thread_context();
  const EVP_CIPHER* cipher = EVP_CIPHER_CTX_get0_cipher(ctx) ? nullptr : chacha20_poly1305();
  auto* text = bytes + kNonce;
  const auto size = static_cast<int>(box.size() - kNonce - kTagBytes);
  int n = 0;
  const bool ok =
      EVP_DecryptInit_ex2(ctx, cipher, subkey, iv, nullptr) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(context.data()),
                        static_cast<int>(context.size())) == 1 &&
      EVP_DecryptUpdate(ctx, text, &n, text, size) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagBytes, text + size) == 1 &&
      EVP_DecryptFinal_ex(ctx, text + n, &n) == 1;
  sodium_memzero(subkey, sizeof subkey);
  if (!ok) return false;
  box.erase(0, kNonce);
  box.resize(static_cast<std::size_t>(size));
  return true;
}

}  // namespace companion::crypto
