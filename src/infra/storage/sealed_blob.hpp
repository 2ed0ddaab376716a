#pragma once
// Encrypted objects on a BlobStore: plaintext in, sealed chunks out
// (crypto/chunked_cipher.hpp), and range reads that open only the chunks
// they touch. Blocking, like the store.
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "infra/crypto/chunked_cipher.hpp"
#include "infra/storage/blob_store.hpp"

namespace companion::storage {

// Memory for consecutive chunks of a sealed object, laid out as they will
// lie in the object: each chunk's plaintext is received where its
// ciphertext goes, sealed there (SealedWriter::write) and written from
// there, so an upload's bytes are not copied between the socket and the
// disk. The memory starts on a block boundary of the object: the lead
// before the first chunk takes what the previous batch left unwritten
// (less than a block), and the filesystem store writes whole blocks
// straight from it (O_DIRECT).
class SealedBatch {
 public:
  static constexpr std::size_t kBlock = 4096;

  SealedBatch(std::uint32_t chunk_size, std::size_t chunks);
  SealedBatch(const SealedBatch&) = delete;
  SealedBatch& operator=(const SealedBatch&) = delete;

  // Empties the batch for the chunks from `first_chunk` on.
  void reset(std::uint64_t first_chunk);
  // Where the next plaintext goes, in order: the rest of the chunk being
  // filled and the chunks after it (their tags' room skipped). Fills at
  // most out.size() spans and returns how many; none when full().
  std::size_t space(std::span<std::span<char>> out);
  // `n` bytes of plaintext arrived in what space() gave.
  void commit(std::size_t n);

  bool full() const { return filled_ == capacity(); }
  std::size_t capacity() const { return chunks_ * std::size_t{chunk_size_}; }
  std::size_t plaintext_bytes() const { return filled_; }
  std::uint64_t first_chunk() const { return first_chunk_; }
  std::uint32_t chunk_size() const { return chunk_size_; }

 private:
  friend class SealedWriter;
  struct Free {
    void operator()(char* p) const;
  };
  // Chunk j (of this batch) starts here, plaintext then tag.
  char* chunk(std::size_t j) const {
    return memory_.get() + lead_ + j * (std::size_t{chunk_size_} + crypto::kTagBytes);
  }

  std::uint32_t chunk_size_;
  std::size_t chunks_;
  std::unique_ptr<char, Free> memory_;
  std::uint64_t first_chunk_ = 0;
  std::size_t lead_ = 0;
  std::size_t filled_ = 0;
};

// Batches kept for the next upload: a new one's memory is faulted in and
// zeroed by the kernel as the first bytes land in it (measured: 8 % of the
// server's cycles when each tus PATCH took two new ones). Thread-safe;
// batches may outlive the pool.
class SealedBatchPool {
 public:
  // Keeps at most `keep` idle batches of `chunks` chunks of `chunk_size`.
  SealedBatchPool(std::uint32_t chunk_size, std::size_t chunks, std::size_t keep);
  // An idle batch or a new one; it comes back when its last holder lets go.
  std::shared_ptr<SealedBatch> take();
  std::size_t idle() const;

 private:
  struct Idle {
    std::mutex mutex;
    std::vector<std::unique_ptr<SealedBatch>> batches;
    std::size_t keep;
  };
  std::uint32_t chunk_size_;
  std::size_t chunks_;
  std::shared_ptr<Idle> idle_;
};

// Streams plaintext into a new sealed object; nothing is visible before
// finish(). Whole blocks go to the store from the batch they were sealed
// in; less than a block waits for the next batch.
class SealedWriter {
 public:
  SealedWriter(BlobStore& store, const std::string& key, std::string_view data_key,
               std::uint32_t chunk_size = crypto::kDefaultChunkSize);
  SealedWriter(const SealedWriter&) = delete;
  SealedWriter& operator=(const SealedWriter&) = delete;

  // Plaintext from anywhere: copied into a batch of the writer's own.
  void write(std::string_view plaintext);
  // Seals the final chunk and commits the object.
  void finish();

  // A batch filled in place from chunk next_chunk() on, of this writer's
  // chunk size and holding whole chunks only: they are sealed where they
  // lie and written. The batch is the caller's again (reset() it).
  void write(SealedBatch& batch);
  // Seals what the batch holds, its last chunk (possibly empty) final, and
  // commits the object.
  void finish(SealedBatch& batch);

  std::uint64_t next_chunk() const { return next_chunk_; }
  std::uint64_t plaintext_size() const { return size_; }

 private:
  void check(const SealedBatch& batch) const;
  // Seals `whole` full chunks of the batch, then puts what the last batch
  // left in front of them; returns where the sealed bytes end.
  std::size_t seal(SealedBatch& batch, std::size_t whole);

  std::unique_ptr<BlobWriter> out_;
  crypto::ChunkedCipher cipher_;
  std::string carry_;                 // sealed, not yet written: less than a block
  std::unique_ptr<SealedBatch> own_;  // for write(string_view)
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
