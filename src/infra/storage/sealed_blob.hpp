#pragma once
// Encrypted objects on a BlobStore: plaintext in, sealed chunks out
// (crypto/chunked_cipher.hpp), and range reads that open only the chunks
// they touch. Blocking, like the store.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "infra/crypto/chunked_cipher.hpp"
#include "infra/storage/blob_store.hpp"

namespace companion::storage {

// Streams plaintext into a new sealed object; nothing is visible before
// finish(). Buffers at most one chunk of plaintext.
class SealedWriter {
 public:
  SealedWriter(BlobStore& store, const std::string& key, std::string_view data_key,
               std::uint32_t chunk_size = crypto::kDefaultChunkSize);
  void write(std::string_view plaintext);
  // Seals the final chunk and commits the object.
  void finish();
  std::uint64_t plaintext_size() const { return size_; }

 private:
  std::unique_ptr<BlobWriter> out_;
  crypto::ChunkedCipher cipher_;
  std::string pending_;
  std::uint64_t next_chunk_ = 0;
  std::uint64_t size_ = 0;
};

// Opens a sealed object for random-access reads.
class SealedReader {
 public:
  // Throws StorageError when the object is missing or not a sealed object
  // this key opens.
  SealedReader(BlobStore& store, std::string key, std::string_view data_key);
  std::uint64_t size() const { return size_; }
  // Plaintext bytes [offset, offset + out.size()) (fewer at the end).
  // Throws StorageError when a chunk fails authentication.
  std::size_t read(std::uint64_t offset, std::span<char> out);

 private:
  BlobStore& store_;
  std::string key_;
  std::optional<crypto::ChunkedCipher> cipher_;
  std::uint64_t sealed_size_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t chunks_ = 0;  // including the final one
  std::uint64_t cached_index_ = ~0ull;
  std::string cached_;
};

// One sealed object of a sequence, and its plaintext size.
struct SealedPart {
  std::string key;
  std::uint64_t size = 0;
};

// Several sealed objects read as one stream of plaintext: a recording that
// arrived in pieces (one object per tus PATCH) is played back, probed and
// decoded without ever being rewritten. Opens one part at a time.
class SealedSequenceReader {
 public:
  // Throws std::invalid_argument when there are no parts.
  SealedSequenceReader(BlobStore& store, std::vector<SealedPart> parts, std::string data_key);
  std::uint64_t size() const { return size_; }
  // Like SealedReader::read, across part boundaries. Throws StorageError
  // when a part is missing, fails authentication or has another size than
  // recorded.
  std::size_t read(std::uint64_t offset, std::span<char> out);

 private:
  BlobStore& store_;
  std::vector<SealedPart> parts_;
  std::vector<std::uint64_t> starts_;
  std::string data_key_;
  std::uint64_t size_ = 0;
  std::optional<SealedReader> open_;
  std::size_t open_index_ = 0;
};

}  // namespace companion::storage
