#include "infra/crypto/digest.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <stdexcept>

namespace companion::crypto {

struct Digest::Context {
  EVP_MD_CTX* ctx = nullptr;
  ~Context() { EVP_MD_CTX_free(ctx); }
};

std::optional<DigestAlgorithm> digest_algorithm(std::string_view name) {
  if (name == "sha1") return DigestAlgorithm::kSha1;
  if (name == "sha256") return DigestAlgorithm::kSha256;
  if (name == "md5") return DigestAlgorithm::kMd5;
  return std::nullopt;
}

Digest::Digest(DigestAlgorithm algorithm) : ctx_(std::make_unique<Context>()) {
  const EVP_MD* md = algorithm == DigestAlgorithm::kSha1     ? EVP_sha1()
                     : algorithm == DigestAlgorithm::kSha256 ? EVP_sha256()
                                                             : EVP_md5();
  ctx_->ctx = EVP_MD_CTX_new();
  if (!ctx_->ctx || EVP_DigestInit_ex(ctx_->ctx, md, nullptr) != 1)
    throw std::runtime_error("cannot initialise a message digest");
}

Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::update(std::string_view bytes) {
  if (EVP_DigestUpdate(ctx_->ctx, bytes.data(), bytes.size()) != 1)
    throw std::runtime_error("message digest update failed");
}

std::string Digest::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx_->ctx, out, &n) != 1)
    throw std::runtime_error("message digest failed");
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string base64_encode(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(len);
  return out;
}

}  // namespace companion::crypto
