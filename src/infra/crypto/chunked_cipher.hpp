#pragma once
// Encryption at rest for recordings: a stream of fixed-size plaintext
// chunks, each sealed on its own with XChaCha20-Poly1305 (libsodium's IETF
// AEAD), so a byte range decrypts only the chunks it touches.
//
// Layout of a sealed object:
//   header (32 bytes): "ICR1" | version 1 | 3 zero bytes | chunk size (u32 LE)
//                      | file nonce (20 random bytes)
//   chunk i (i = 0, 1, …): ciphertext of chunk_size plaintext bytes + 16-byte tag;
//                      the last chunk is shorter (possibly empty) and marked final.
// Chunk i uses nonce = file nonce (20) | i (u32 LE), and authenticates the
// header, i and the final flag as associated data. Reordering, dropping,
// truncating (no final chunk) or altering any byte fails to open.
//
// This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár).
// libsodium's crypto_secretstream is sequential: its state after chunk i
// depends on every earlier tag, so it cannot open chunk i alone, which a
// Range request needs; hence independent chunks with derived nonces.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace companion::crypto {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kHeaderBytes = 32;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::uint32_t kDefaultChunkSize = 64 * 1024;

class ChunkedCipher {
 public:
  // A new object: fresh random file nonce.
  static ChunkedCipher create(std::string_view key, std::uint32_t chunk_size = kDefaultChunkSize);
  // An existing object, from its header; nullopt when the header is not ours.
  static std::optional<ChunkedCipher> from_header(std::string_view key, std::string_view header);

  const std::string& header() const { return header_; }
  std::uint32_t chunk_size() const { return chunk_size_; }
  std::uint64_t sealed_chunk_bytes() const { return chunk_size_ + kTagBytes; }
  // Where chunk i starts in the sealed object.
  std::uint64_t chunk_offset(std::uint64_t index) const {
    return kHeaderBytes + index * sealed_chunk_bytes();
  }

  // plaintext.size() must be chunk_size, or less for the final chunk.
  std::string seal(std::uint64_t index, std::string_view plaintext, bool final) const;
  // The same where the chunk lies: `chunk` holds its plaintext followed by
  // kTagBytes of room, and afterwards exactly what seal() returns. Uploads
  // receive each chunk there, so it is sealed without a copy. Computed
  // with OpenSSL's ChaCha20-Poly1305 under the XChaCha20 subkey (what
  // libsodium's XChaCha20-Poly1305 does inside), at twice libsodium's speed
  // on the machines measured (docs/benchmarks.md); seal() stays libsodium's.
  void seal_in_place(std::uint64_t index, std::span<char> chunk, bool final) const;
  // The plaintext, or nullopt when the chunk was altered, is not chunk
  // `index`, or its final flag differs from `final`.
  std::optional<std::string> open(std::uint64_t index, std::string_view sealed, bool final) const;

  // The plaintext size of a complete sealed object of `sealed_size` bytes.
  std::optional<std::uint64_t> plaintext_size(std::uint64_t sealed_size) const;

 private:
  ChunkedCipher(std::string key, std::string header, std::uint32_t chunk_size);
  std::string key_;
  std::string header_;
  // HChaCha20(key, the file nonce's first 16 bytes): every chunk's key.
  std::array<unsigned char, kKeyBytes> subkey_;
  std::uint32_t chunk_size_;
};

// Small standalone secrets (an upload's partial last chunk, wrapped keys):
// random 24-byte nonce | ciphertext | tag, bound to `context`.
std::string seal_box(std::string_view key, std::string_view context, std::string_view plaintext);
std::optional<std::string> open_box(std::string_view key, std::string_view context,
                                    std::string_view sealed);
// The same without a second buffer (for large boxes): on success `box`
// holds the plaintext; on failure it is left in an unspecified state.
bool open_box_in_place(std::string_view key, std::string_view context, std::string& box);

}  // namespace companion::crypto
