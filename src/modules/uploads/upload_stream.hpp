#pragma once
// One request body into one sealed object: the loop both upload paths run
// (a direct PUT and a tus PATCH). The body is read straight into a
// storage::SealedBatch, where it is sealed in place and written from, on
// the storage pool, while the next batch is read into a second one
// (write-behind: docs/benchmarks.md); so each upload holds two batches. The
// start of a whole file is sniffed for audio or video; the object is
// created with the first batch, so a body without bytes stores nothing.
//
// A failure while reading (a refused size, a file that is not media, a
// failed write) discards the object before it is rethrown. A body that
// broke off is the caller's to judge: read() returns it, and the caller
// keeps what arrived (finish) or not (discard).
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "infra/async/blocking_pool.hpp"
#include "infra/async/write_behind.hpp"
#include "infra/crypto/digest.hpp"
#include "infra/storage/blob_store.hpp"
#include "infra/storage/sealed_blob.hpp"

namespace companion::uploads {

// Reads the next bytes of the upload into `into`, filling its spans in
// order: what has arrived, at least one byte, or 0 at the end of the body
// (http::BodyReader::read). Throws BadRequest when the body broke off.
using ReadBody =
    std::function<boost::asio::awaitable<std::size_t>(std::span<const std::span<char>> into)>;

class UploadStream {
 public:
  // The data key to seal with, asked for when the first batch is written.
  using KeySource = std::function<boost::asio::awaitable<std::string>()>;
  // Told the size the body has with the bytes just read, before they are
  // taken; throws to refuse them (a limit).
  using SizeCheck = std::function<void(std::uint64_t total)>;

  struct Options {
    std::string key;                   // the object to write
    bool starts_file = true;           // the body is a file's start: sniff it
    SizeCheck check_size;              // optional
    crypto::Digest* digest = nullptr;  // fed every byte when set
  };

  // Chunks per batch (1 MiB): one hop to the storage pool and one write
  // each. A hop per 64 KiB piece cost more than the encryption and the
  // write together (perf: ~45 % of cycles in thread wake-ups); 512 KiB
  // batches cost 6-10 % more CPU per byte, for half the memory of many
  // uploads at once (docs/benchmarks.md).
  static constexpr std::size_t kBatchChunks = 16;
  // Batches for uploads, `keep` of them kept idle for the next ones.
  static storage::SealedBatchPool batch_pool(std::size_t keep) {
    return {crypto::kDefaultChunkSize, kBatchChunks, keep};
  }

  // `batches`: from batch_pool().
  UploadStream(boost::asio::any_io_executor io, async::BlockingPool& pool,
               storage::SealedBatchPool& batches, storage::BlobStore& store, KeySource data_key,
               Options options);
  UploadStream(const UploadStream&) = delete;
  UploadStream& operator=(const UploadStream&) = delete;
  ~UploadStream();

  // Reads until the end of the body. Returns what `read_body` threw when
  // the body broke off (a BadRequest), else null; rethrows anything else
  // after discarding the object.
  boost::asio::awaitable<std::exception_ptr> read(ReadBody read_body);

  // Writes what is left and seals the object; discards it on failure.
  // `file_complete`: the file's last byte arrived, so a start shorter than
  // the sniffing window is sniffed now (UnsupportedMedia when it is not
  // media). Nothing to do when no byte arrived.
  boost::asio::awaitable<void> finish(bool file_complete);
  // Drops the object, whatever was written of it.
  boost::asio::awaitable<void> discard();

  std::uint64_t bytes() const { return bytes_; }

 private:
  boost::asio::awaitable<void> open_writer();
  // Hands the full batch to the pool and goes on in the other one.
  boost::asio::awaitable<void> flush();
  // Sniffs and digests `n` bytes that arrived in `into`.
  void take(std::span<const std::span<char>> into, std::size_t n);
  void sniff();

  async::BlockingPool& pool_;
  storage::SealedBatchPool& batches_;
  storage::BlobStore& store_;
  KeySource data_key_;
  Options options_;
  async::WriteBehind behind_;
  std::shared_ptr<storage::SealedWriter> writer_;
  // The batch the body is read into, and the one the pool may be sealing.
  std::shared_ptr<storage::SealedBatch> filling_;
  std::shared_ptr<storage::SealedBatch> spare_;
  std::uint64_t next_chunk_ = 0;  // the first chunk of the next batch
  std::string prefix_;
  bool sniffed_;  // or nothing to sniff (not a file's start)
  std::uint64_t bytes_ = 0;
};

}  // namespace companion::uploads
