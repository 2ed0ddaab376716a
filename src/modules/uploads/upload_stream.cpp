#include "modules/uploads/upload_stream.hpp"

#include <algorithm>
#include <array>

#include "infra/errors/errors.hpp"
#include "infra/media/probe.hpp"

namespace companion::uploads {
UploadStream::UploadStream(boost::asio::any_io_executor io, async::BlockingPool& pool,
                           storage::SealedBatchPool& batches, storage::BlobStore& store,
                           KeySource data_key, Options options)
    : pool_(pool),
      batches_(batches),
      store_(store),
      data_key_(std::move(data_key)),
      options_(std::move(options)),
      behind_(io, pool),
      sniffed_(!options_.starts_file) {}

// Without finish() or discard(), the object is dropped unsealed when the
// write in flight (which holds the writer and its batch too) is done.
UploadStream::~UploadStream() = default;

boost::asio::awaitable<std::exception_ptr> UploadStream::read(ReadBody read_body) {
  std::exception_ptr failure;
  try {
    if (!filling_) {
      filling_ = batches_.take();
      filling_->reset(next_chunk_);
    }
    std::array<std::span<char>, kBatchChunks + 1> spans;
    for (;;) {
      const std::span<const std::span<char>> into(spans.data(), filling_->space(spans));
      std::size_t n = 0;
      try {
        n = co_await read_body(into);
      } catch (const BadRequest&) {
        co_return std::current_exception();  // the body broke off
      }
      if (n == 0) break;
      if (options_.check_size) options_.check_size(bytes_ + n);
      take(into, n);
      filling_->commit(n);
      bytes_ += n;
      if (filling_->full()) co_await flush();
    }
    co_return nullptr;
  } catch (...) {
    failure = std::current_exception();
  }
  co_await discard();
  std::rethrow_exception(failure);
}

void UploadStream::take(std::span<const std::span<char>> into, std::size_t n) {
  for (auto span : into) {
    if (n == 0) break;
    std::string_view bytes(span.data(), std::min(span.size(), n));
    n -= bytes.size();
    if (!sniffed_) {
      prefix_.append(bytes.substr(0, media::kSniffBytes - prefix_.size()));
      if (prefix_.size() == media::kSniffBytes) sniff();
    }
    if (options_.digest) options_.digest->update(bytes);
  }
}

void UploadStream::sniff() {
  sniffed_ = true;
  if (media::sniff(prefix_) == media::Sniff::kNotMedia)
    throw UnsupportedMedia("The file is not a recognised audio or video format.");
}

boost::asio::awaitable<void> UploadStream::open_writer() {
  if (writer_) co_return;
  auto key = co_await data_key_();
  writer_ = co_await pool_.run(
      [&] { return std::make_shared<storage::SealedWriter>(store_, options_.key, key); });
}

boost::asio::awaitable<void> UploadStream::flush() {
  co_await open_writer();
  // Named: GCC 12 destroys temporaries in a co_await expression twice.
  std::function<void()> piece = [writer = writer_, batch = filling_] { writer->write(*batch); };
  // Waits for the batch before this one (spare_) to be written first.
  co_await behind_.submit(std::move(piece));
  next_chunk_ += kBatchChunks;
  std::swap(filling_, spare_);
  if (!filling_) filling_ = batches_.take();
  filling_->reset(next_chunk_);
}

boost::asio::awaitable<void> UploadStream::finish(bool file_complete) {
  if (bytes_ == 0) co_return;
  std::exception_ptr failure;
  try {
    if (file_complete && !sniffed_) sniff();
    co_await behind_.drain();
    co_await open_writer();
    co_await pool_.run([&] { writer_->finish(*filling_); });
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
  if (writer_) co_await pool_.run([&] { writer_.reset(); });  // discards, on the pool
}

}  // namespace companion::uploads
