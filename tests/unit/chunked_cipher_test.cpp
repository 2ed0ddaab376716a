#include <gtest/gtest.h>

#include <random>

#include "infra/crypto/chunked_cipher.hpp"
#include "infra/crypto/encoding.hpp"

namespace companion::crypto {
namespace {

// Seals `data` into a whole object: header and chunks, the last one final.
std::string seal_all(const ChunkedCipher& c, std::string_view data) {
  std::string out = c.header();
  std::uint64_t i = 0;
  std::size_t off = 0;
  while (data.size() - off >= c.chunk_size()) {
    // A full last chunk is followed by an empty final chunk.
    out += c.seal(i++, data.substr(off, c.chunk_size()), false);
    off += c.chunk_size();
  }
  out += c.seal(i, data.substr(off), true);
  return out;
}

class ChunkedCipherTest : public ::testing::Test {
 protected:
  std::string key = random_bytes(32);
  ChunkedCipher cipher = ChunkedCipher::create(key, 4096);
};

TEST_F(ChunkedCipherTest, RoundTripsEveryChunkIndependently) {
  auto data = random_bytes(4096 * 3 + 100);
  auto sealed = seal_all(cipher, data);
  auto reopened = ChunkedCipher::from_header(key, sealed);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->plaintext_size(sealed.size()), data.size());
  // Chunk 2 alone, as a Range read would.
  auto c2 = reopened->open(2, std::string_view(sealed).substr(reopened->chunk_offset(2), 4096 + 16),
                           false);
  ASSERT_TRUE(c2);
  EXPECT_EQ(*c2, data.substr(2 * 4096, 4096));
  auto last = reopened->open(3, std::string_view(sealed).substr(reopened->chunk_offset(3)), true);
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, data.substr(3 * 4096));
}

TEST_F(ChunkedCipherTest, ExactMultipleEndsWithAnEmptyFinalChunk) {
  auto data = random_bytes(4096 * 2);
  auto sealed = seal_all(cipher, data);
  EXPECT_EQ(sealed.size(), kHeaderBytes + 2 * (4096 + 16) + 16);
  EXPECT_EQ(cipher.plaintext_size(sealed.size()), data.size());
  EXPECT_EQ(cipher.open(2, std::string_view(sealed).substr(cipher.chunk_offset(2)), true), "");
}

TEST_F(ChunkedCipherTest, DetectsTamperingReorderingTruncationAndWrongKeys) {
  auto data = random_bytes(4096 * 2 + 10);
  auto sealed = seal_all(cipher, data);
  std::string_view v(sealed);
  auto chunk0 = v.substr(cipher.chunk_offset(0), 4096 + 16);
  auto chunk1 = v.substr(cipher.chunk_offset(1), 4096 + 16);
  // Altered byte.
  std::string bad(chunk0);
  bad[100] ^= 1;
  EXPECT_FALSE(cipher.open(0, bad, false));
  // Swapped chunks.
  EXPECT_FALSE(cipher.open(0, chunk1, false));
  // A non-final chunk presented as the end (truncation).
  EXPECT_FALSE(cipher.open(1, chunk1, true));
  // Another key, another object's header.
  EXPECT_FALSE(ChunkedCipher::from_header(random_bytes(32), sealed)->open(0, chunk0, false));
  auto other = ChunkedCipher::create(key, 4096);
  EXPECT_FALSE(other.open(0, chunk0, false));
}

TEST_F(ChunkedCipherTest, RefusesForeignHeadersAndWrongSizes) {
  EXPECT_FALSE(ChunkedCipher::from_header(key, std::string(32, 'x')));
  EXPECT_FALSE(ChunkedCipher::from_header(key, "ICR1"));
  EXPECT_THROW(cipher.seal(0, std::string(10, 'a'), false), std::invalid_argument);
  EXPECT_THROW(cipher.seal(0, std::string(5000, 'a'), true), std::invalid_argument);
  EXPECT_FALSE(cipher.plaintext_size(10));
}

// Sealing where the chunk lies (uploads) writes the very bytes seal()
// returns, so objects stored either way read back alike.
TEST_F(ChunkedCipherTest, SealingInPlaceWritesWhatSealReturns) {
  struct Case {
    std::size_t size;
    bool final;
  };
  // Objects with other keys in between: nothing of one carries over.
  auto other = ChunkedCipher::create(random_bytes(32), 4096);
  for (const auto* c : {&cipher, &other, &cipher}) {
    for (auto [size, final] :
         {Case{4096, false}, Case{4096, true}, Case{100, true}, Case{0, true}}) {
      auto plaintext = random_bytes(size);
      std::string chunk = plaintext + std::string(kTagBytes, '\0');
      c->seal_in_place(7, chunk, final);
      EXPECT_EQ(chunk, c->seal(7, plaintext, final)) << size;
      EXPECT_EQ(c->open(7, chunk, final), plaintext) << size;
    }
  }
  std::string short_chunk(100 + kTagBytes, '\0');
  EXPECT_THROW(cipher.seal_in_place(0, short_chunk, false), std::invalid_argument);
  std::string no_room(5, '\0');
  EXPECT_THROW(cipher.seal_in_place(0, no_room, true), std::invalid_argument);
}

// The format on disk, pinned: a known key, header and plaintext give these
// bytes (computed independently: HChaCha20 + the IETF ChaCha20-Poly1305 of
// Python's `cryptography`). Objects stored before any change must still open.
TEST(ChunkedCipherFormat, KnownKeyAndHeaderGiveKnownBytes) {
  std::string key;
  for (int i = 0; i < 32; ++i) key += static_cast<char>(i);
  std::string header = std::string("ICR1\1\0\0\0", 8) + std::string("\0\4\0\0", 4);
  for (int i = 100; i < 120; ++i) header += static_cast<char>(i);
  std::string plaintext;
  for (int i = 0; i < 1024 + 10; ++i) plaintext += static_cast<char>((i * 7 + 3) & 0xff);
  auto cipher = ChunkedCipher::from_header(key, header);
  ASSERT_TRUE(cipher);
  std::string first = plaintext.substr(0, 1024) + std::string(kTagBytes, '\0');
  cipher->seal_in_place(0, first, false);
  auto object = header + first + cipher->seal(1, std::string_view(plaintext).substr(1024), true);
  EXPECT_EQ(object.size(), 1098u);
  EXPECT_EQ(hex_encode(sha256(object)),
            "3d14a8960d3923beec83b4bd1d540e490f847b561f625ea535ba136d16649755");
  EXPECT_EQ(cipher->open(1, std::string_view(object).substr(cipher->chunk_offset(1)), true),
            plaintext.substr(1024));
}

TEST(SealBox, RoundTripsAndBindsTheContext) {
  auto key = random_bytes(32);
  auto sealed = seal_box(key, "upload-tail:1", "secret bytes");
  EXPECT_EQ(open_box(key, "upload-tail:1", sealed), "secret bytes");
  EXPECT_FALSE(open_box(key, "upload-tail:2", sealed));
  EXPECT_FALSE(open_box(random_bytes(32), "upload-tail:1", sealed));
  EXPECT_NE(seal_box(key, "c", "same"), seal_box(key, "c", "same"));  // fresh nonce
}

// The in-place opener (OpenSSL under the XChaCha20 subkey) opens exactly
// what libsodium's opener opens, and refuses what it refuses.
TEST(SealBox, InPlaceOpeningAgreesWithLibsodium) {
  std::mt19937 random(4242);
  auto key = random_bytes(32);
  for (std::size_t size : {0u, 1u, 15u, 16u, 63u, 64u, 65u, 1000u, 70'000u}) {
    std::string text(size, '\0');
    for (auto& c : text) c = static_cast<char>(random());
    auto sealed = seal_box(key, "analyses.body:row", text);
    auto box = sealed;
    ASSERT_TRUE(open_box_in_place(key, "analyses.body:row", box)) << size;
    EXPECT_EQ(box, text) << size;
    EXPECT_EQ(open_box(key, "analyses.body:row", sealed), text);
    box = sealed;
    EXPECT_FALSE(open_box_in_place(key, "analyses.body:other", box)) << "another row";
    box = sealed;
    EXPECT_FALSE(open_box_in_place(random_bytes(32), "analyses.body:row", box)) << "another key";
    for (std::size_t at : {std::size_t{0}, sealed.size() / 2, sealed.size() - 1}) {
      box = sealed;
      box[at] = static_cast<char>(box[at] ^ 1);
      EXPECT_FALSE(open_box_in_place(key, "analyses.body:row", box)) << "flipped byte " << at;
    }
  }
  std::string short_box(39, 'x');
  EXPECT_FALSE(open_box_in_place(key, "c", short_box));
}

}  // namespace
}  // namespace companion::crypto
