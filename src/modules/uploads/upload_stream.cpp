#include "modules/uploads/upload_stream.hpp"

#include <algorithm>

#include "infra/errors/errors.hpp"
#include "infra/media/probe.hpp"

namespace companion::uploads {
namespace {

// Pieces are gathered into batches before each hop to the storage pool: a
// hop per 64 KiB piece cost more than the encryption and the write
// together (perf: ~45 % of cycles in thread wake-ups).
constexpr std::size_t kBatchBytes = 256 << 10;

}  // namespace

UploadStream::UploadStream(boost::asio::any_io_executor io, async::BlockingPool& pool,
                           storage::BlobStore& store, KeySource data_key, Options options)
    : pool_(pool),
      store_(store),
      data_key_(std::move(data_key)),
      options_(std::move(options)),
      behind_(io, pool),
      sniffed_(!options_.starts_file) {
  batch_.reserve(kBatchBytes);
}

// Without finish() or discard(), the object is dropped unsealed when the
// write in flight (which holds the writer too) is done.
UploadStream::~UploadStream() = default;

boost::asio::awaitable<std::exception_ptr> UploadStream::read(NextPiece next) {
  std::exception_ptr failure;
  try {
    for (;;) {
      std::string_view piece;
      try {
        piece = co_await next();
      } catch (const BadRequest&) {
        co_return std::current_exception();  // the body broke off
      }
      if (piece.empty()) break;
      if (options_.check_size) options_.check_size(bytes_ + piece.size());
      bytes_ += piece.size();
      if (!sniffed_) {
        prefix_.append(
            piece.substr(0, media::kSniffBytes - std::min(prefix_.size(), media::kSniffBytes)));
        if (prefix_.size() >= media::kSniffBytes) sniff();
      }
      if (options_.digest) options_.digest->update(piece);
      batch_.append(piece);
      if (batch_.size() >= kBatchBytes) co_await flush();
    }
    co_return nullptr;
  } catch (...) {
    failure = std::current_exception();
  }
  co_await discard();
  std::rethrow_exception(failure);
}

void UploadStream::sniff() {
  sniffed_ = true;
  if (media::sniff(prefix_) == media::Sniff::kNotMedia)
    throw UnsupportedMedia("The file is not a recognised audio or video format.");
}

boost::asio::awaitable<void> UploadStream::flush() {
  if (batch_.empty()) co_return;
  if (!writer_) {
    auto key = co_await data_key_();
    writer_ = co_await pool_.run(
        [&] { return std::make_shared<storage::SealedWriter>(store_, options_.key, key); });
  }
  // Named: GCC 12 destroys temporaries in a co_await expression twice.
  std::function<void()> piece = [writer = writer_, full = std::move(batch_)] {
    writer->write(full);
  };
  co_await behind_.submit(std::move(piece));
  batch_ = std::string();
  batch_.reserve(kBatchBytes);
}

boost::asio::awaitable<void> UploadStream::finish(bool file_complete) {
  if (bytes_ == 0) co_return;
  std::exception_ptr failure;
  try {
    if (file_complete && !sniffed_) sniff();
    co_await flush();
    co_await behind_.drain();
    co_await pool_.run([&] { writer_->finish(); });
    writer_.reset();
    co_return;
  } catch (...) {
    failure = std::current_exception();
  }
  co_await discard();
  std::rethrow_exception(failure);
}

boost::asio::awaitable<void> UploadStream::discard() {
  // Nothing may still be writing when the writer goes.
  co_await behind_.settle();
  batch_.clear();
  if (writer_) co_await pool_.run([&] { writer_.reset(); });  // discards, on the pool
}

}  // namespace companion::uploads
