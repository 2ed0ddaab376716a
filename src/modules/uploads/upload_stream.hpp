#pragma once
// One request body into one sealed object: the loop both upload paths run
// (a direct PUT and a tus PATCH). Pieces are gathered into 256 KiB batches,
// each sealed and written on the storage pool while the next piece is read
// (write-behind: docs/benchmarks.md); the start of a whole file is sniffed
// for audio or video; the object is created with the first batch, so a
// body without bytes stores nothing.
//
// A failure while reading (a refused piece, a file that is not media, a
// failed write) discards the object before it is rethrown. A body that
// broke off is the caller's to judge: read() returns it, and the caller
// keeps what arrived (finish) or not (discard).
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "infra/async/blocking_pool.hpp"
#include "infra/async/write_behind.hpp"
#include "infra/crypto/digest.hpp"
#include "infra/storage/blob_store.hpp"
#include "infra/storage/sealed_blob.hpp"

namespace companion::uploads {

// The next piece of the upload, or an empty view at its end.
using NextPiece = std::function<boost::asio::awaitable<std::string_view>()>;

class UploadStream {
 public:
  // The data key to seal with, asked for when the first batch is written.
  using KeySource = std::function<boost::asio::awaitable<std::string>()>;
  // Told the size the body will have with the next piece, before it is
  // taken; throws to refuse it (a limit).
  using SizeCheck = std::function<void(std::uint64_t total)>;

  struct Options {
    std::string key;                   // the object to write
    bool starts_file = true;           // the body is a file's start: sniff it
    SizeCheck check_size;              // optional
    crypto::Digest* digest = nullptr;  // fed every byte when set
  };

  UploadStream(boost::asio::any_io_executor io, async::BlockingPool& pool,
               storage::BlobStore& store, KeySource data_key, Options options);
  UploadStream(const UploadStream&) = delete;
  UploadStream& operator=(const UploadStream&) = delete;
  ~UploadStream();

  // Reads pieces until an empty one. Returns what `next` threw when the
  // body broke off (a BadRequest), else null; rethrows anything else after
  // discarding the object.
  boost::asio::awaitable<std::exception_ptr> read(NextPiece next);

  // Writes what is left and seals the object; discards it on failure.
  // `file_complete`: the file's last byte arrived, so a start shorter than
  // the sniffing window is sniffed now (UnsupportedMedia when it is not
  // media). Nothing to do when no byte arrived.
  boost::asio::awaitable<void> finish(bool file_complete);
  // Drops the object, whatever was written of it.
  boost::asio::awaitable<void> discard();

  std::uint64_t bytes() const { return bytes_; }

 private:
  boost::asio::awaitable<void> flush();
  void sniff();

  async::BlockingPool& pool_;
  storage::BlobStore& store_;
  KeySource data_key_;
  Options options_;
  async::WriteBehind behind_;
  std::shared_ptr<storage::SealedWriter> writer_;
  std::string batch_;
  std::string prefix_;
  bool sniffed_;  // or nothing to sniff (not a file's start)
  std::uint64_t bytes_ = 0;
};

}  // namespace companion::uploads
