#include "infra/storage/sealed_blob.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace companion::storage {

SealedBatch::SealedBatch(std::uint32_t chunk_size, std::size_t chunks)
    : chunk_size_(chunk_size), chunks_(chunks) {
  if (chunks == 0) throw std::invalid_argument("a sealed batch holds at least one chunk");
  if (chunk_size == 0) throw std::invalid_argument("a sealed chunk holds at least one byte");
  // Room for the largest lead, then the chunks, in whole blocks.
  auto bytes = kBlock + chunks * (std::size_t{chunk_size} + crypto::kTagBytes);
  bytes = (bytes + kBlock - 1) / kBlock * kBlock;
  memory_.reset(static_cast<char*>(std::aligned_alloc(kBlock, bytes)));
  if (!memory_) throw std::bad_alloc();
}

void SealedBatch::Free::operator()(char* p) const {
  std::free(p);
}

void SealedBatch::reset(std::uint64_t first_chunk) {
  first_chunk_ = first_chunk;
  lead_ = static_cast<std::size_t>(
      (crypto::kHeaderBytes + first_chunk * (std::uint64_t{chunk_size_} + crypto::kTagBytes)) %
      kBlock);
  filled_ = 0;
}

std::size_t SealedBatch::space(std::span<std::span<char>> out) {
  std::size_t spans = 0;
  for (std::size_t at = filled_; spans < out.size() && at < capacity();) {
    auto j = at / chunk_size_;
    auto within = at % chunk_size_;
    out[spans++] = {chunk(j) + within, chunk_size_ - within};
    at = (j + 1) * chunk_size_;
  }
  return spans;
}

void SealedBatch::commit(std::size_t n) {
  if (n > capacity() - filled_)
    throw std::logic_error("more plaintext than the batch has room for");
  filled_ += n;
}

SealedBatchPool::SealedBatchPool(std::uint32_t chunk_size, std::size_t chunks, std::size_t keep)
    : chunk_size_(chunk_size), chunks_(chunks), idle_(std::make_shared<Idle>()) {
  idle_->keep = keep;
}

std::shared_ptr<SealedBatch> SealedBatchPool::take() {
  std::unique_ptr<SealedBatch> batch;
  {
    std::lock_guard lock(idle_->mutex);
    if (!idle_->batches.empty()) {
      batch = std::move(idle_->batches.back());
      idle_->batches.pop_back();
    }
  }
  if (!batch) batch = std::make_unique<SealedBatch>(chunk_size_, chunks_);
  batch->reset(0);
  return std::shared_ptr<SealedBatch>(batch.release(), [idle = idle_](SealedBatch* b) {
    std::unique_ptr<SealedBatch> owned(b);
    std::lock_guard lock(idle->mutex);
    if (idle->batches.size() < idle->keep) idle->batches.push_back(std::move(owned));
  });
}

std::size_t SealedBatchPool::idle() const {
  std::lock_guard lock(idle_->mutex);
  return idle_->batches.size();
}

SealedWriter::SealedWriter(BlobStore& store, const std::string& key, std::string_view data_key,
                           std::uint32_t chunk_size)
    : out_(store.create(key)),
      cipher_(crypto::ChunkedCipher::create(data_key, chunk_size)),
      carry_(cipher_.header()) {}

void SealedWriter::write(std::string_view plaintext) {
  if (!own_) {
    own_ = std::make_unique<SealedBatch>(
        cipher_.chunk_size(), std::max<std::size_t>(1, (256 << 10) / cipher_.chunk_size()));
    own_->reset(next_chunk_);
  }
  while (!plaintext.empty()) {
    std::span<char> room[1];
    own_->space(room);
    auto n = std::min(room[0].size(), plaintext.size());
    std::memcpy(room[0].data(), plaintext.data(), n);
    own_->commit(n);
    plaintext.remove_prefix(n);
    if (own_->full()) {
      write(*own_);
      own_->reset(next_chunk_);
    }
  }
}

void SealedWriter::finish() {
  if (!own_) {
    own_ = std::make_unique<SealedBatch>(cipher_.chunk_size(), 1);
    own_->reset(next_chunk_);
  }
  finish(*own_);
}

void SealedWriter::check(const SealedBatch& batch) const {
  if (batch.chunk_size_ != cipher_.chunk_size() || batch.first_chunk_ != next_chunk_ ||
      batch.lead_ != carry_.size())
    throw std::logic_error("the batch does not continue this sealed object");
}

std::size_t SealedWriter::seal(SealedBatch& batch, std::size_t whole) {
  const std::size_t sealed_chunk = cipher_.sealed_chunk_bytes();
  for (std::size_t j = 0; j < whole; ++j)
    cipher_.seal_in_place(next_chunk_ + j, {batch.chunk(j), sealed_chunk}, false);
  std::memcpy(batch.memory_.get(), carry_.data(), carry_.size());
  return batch.lead_ + whole * sealed_chunk;
}

void SealedWriter::write(SealedBatch& batch) {
  check(batch);
  if (batch.filled_ % cipher_.chunk_size() != 0)
    throw std::logic_error("only the final chunk of a sealed object may be partial");
  const auto whole = batch.filled_ / cipher_.chunk_size();
  const auto end = seal(batch, whole);
  const auto blocks = end / SealedBatch::kBlock * SealedBatch::kBlock;
  if (blocks > 0) out_->write({batch.memory_.get(), blocks});
  carry_.assign(batch.memory_.get() + blocks, end - blocks);
  next_chunk_ += whole;
  size_ += batch.filled_;
}

void SealedWriter::finish(SealedBatch& batch) {
  check(batch);
  if (batch.full()) {  // the final chunk, empty, goes after these
    write(batch);
    batch.reset(next_chunk_);
  }
  const auto whole = batch.filled_ / cipher_.chunk_size();
  const auto rest = batch.filled_ % cipher_.chunk_size();
  auto end = seal(batch, whole);
  cipher_.seal_in_place(next_chunk_ + whole, {batch.chunk(whole), rest + crypto::kTagBytes}, true);
  end += rest + crypto::kTagBytes;
  out_->write({batch.memory_.get(), end});
  carry_.clear();
  next_chunk_ += whole + 1;
  size_ += batch.filled_;
  out_->commit();
}

SealedReader::SealedReader(BlobStore& store, std::string key, std::string_view data_key)
    : store_(store), key_(std::move(key)) {
  auto sealed = store_.size(key_);
  if (!sealed) throw StorageError("sealed object " + key_ + " does not exist");
  sealed_size_ = *sealed;
  std::string header(crypto::kHeaderBytes, '\0');
  if (store_.read(key_, 0, header) != header.size())
    throw StorageError("sealed object " + key_ + " is too short");
  cipher_ = crypto::ChunkedCipher::from_header(data_key, header);
  if (!cipher_) throw StorageError("object " + key_ + " is not a sealed object");
  auto size = cipher_->plaintext_size(sealed_size_);
  if (!size) throw StorageError("sealed object " + key_ + " is truncated");
  size_ = *size;
  chunks_ = size_ / cipher_->chunk_size() + 1;
}

std::size_t SealedReader::read(std::uint64_t offset, std::span<char> out) {
  std::size_t done = 0;
  const auto chunk = cipher_->chunk_size();
  while (done < out.size() && offset + done < size_) {
    auto pos = offset + done;
    auto index = pos / chunk;
    if (index != cached_index_) {
      bool final = index + 1 == chunks_;
      auto begin = cipher_->chunk_offset(index);
      auto len = std::min<std::uint64_t>(cipher_->sealed_chunk_bytes(), sealed_size_ - begin);
      std::string sealed(len, '\0');
      if (store_.read(key_, begin, sealed) != len)
        throw StorageError("sealed object " + key_ + " changed while reading");
      auto plain = cipher_->open(index, sealed, final);
      if (!plain) throw StorageError("sealed object " + key_ + " failed authentication");
      cached_ = std::move(*plain);
      cached_index_ = index;
    }
    auto within = pos - index * chunk;
    auto n = std::min<std::uint64_t>(cached_.size() - within, out.size() - done);
    std::memcpy(out.data() + done, cached_.data() + within, n);
    done += n;
  }
  return done;
}

}  // namespace companion::storage

namespace companion::storage {

SealedSequenceReader::SealedSequenceReader(BlobStore& store, std::vector<SealedPart> parts,
                                           std::string data_key)
    : store_(store), parts_(std::move(parts)), data_key_(std::move(data_key)) {
  if (parts_.empty()) throw std::invalid_argument("a sealed sequence needs at least one part");
  for (const auto& p : parts_) {
    starts_.push_back(size_);
    size_ += p.size;
  }
}

std::size_t SealedSequenceReader::read(std::uint64_t offset, std::span<char> out) {
  std::size_t done = 0;
  while (done < out.size() && offset + done < size_) {
    auto pos = offset + done;
    auto it = std::upper_bound(starts_.begin(), starts_.end(), pos);
    auto index = static_cast<std::size_t>(it - starts_.begin()) - 1;
    if (!open_ || open_index_ != index) {
      open_.reset();
      open_.emplace(store_, parts_[index].key, data_key_);
      open_index_ = index;
      if (open_->size() != parts_[index].size)
        throw StorageError("sealed object " + parts_[index].key +
                           " has another size than recorded");
    }
    auto within = pos - starts_[index];
    auto want = std::min<std::uint64_t>(out.size() - done, parts_[index].size - within);
    auto n = open_->read(within, out.subspan(done, want));
    if (n == 0) throw StorageError("sealed object " + parts_[index].key + " ended early");
    done += n;
  }
  return done;
}

}  // namespace companion::storage
