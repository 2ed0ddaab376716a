#include "infra/storage/sealed_blob.hpp"

#include <algorithm>
#include <cstring>

namespace companion::storage {

SealedWriter::SealedWriter(BlobStore& store, const std::string& key, std::string_view data_key,
                           std::uint32_t chunk_size)
    : out_(store.create(key)), cipher_(crypto::ChunkedCipher::create(data_key, chunk_size)) {
  out_->write(cipher_.header());
  pending_.reserve(chunk_size);
}

void SealedWriter::write(std::string_view plaintext) {
  size_ += plaintext.size();
  while (!plaintext.empty()) {
    auto take = std::min<std::size_t>(cipher_.chunk_size() - pending_.size(), plaintext.size());
    pending_.append(plaintext.substr(0, take));
    plaintext.remove_prefix(take);
    if (pending_.size() == cipher_.chunk_size()) {
      out_->write(cipher_.seal(next_chunk_++, pending_, false));
      pending_.clear();
    }
  }
}

void SealedWriter::finish() {
  out_->write(cipher_.seal(next_chunk_++, pending_, true));
  pending_.clear();
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
