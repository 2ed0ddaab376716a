#pragma once
// Streaming message digests (OpenSSL EVP) for upload checksums: feed the
// bytes as they arrive, compare at the end.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace companion::crypto {

enum class DigestAlgorithm { kSha1, kSha256, kMd5 };

// "sha1", "sha256", "md5" (the tus names); nullopt for anything else.
std::optional<DigestAlgorithm> digest_algorithm(std::string_view name);

class Digest {
 public:
  explicit Digest(DigestAlgorithm algorithm);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;
  void update(std::string_view bytes);
  // The raw digest; the object is spent afterwards.
  std::string finish();

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

// Standard base64 with padding (RFC 4648 section 4), as tus headers use it.
std::string base64_encode(std::string_view bytes);
// nullopt unless `text` is valid padded standard base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace companion::crypto
