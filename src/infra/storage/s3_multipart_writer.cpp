#include "infra/storage/s3_multipart_writer.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "infra/storage/s3_client.hpp"

namespace companion::storage {
namespace {

constexpr std::size_t kMaxParts = 10'000;

}  // namespace

S3MultipartWriter::S3MultipartWriter(std::shared_ptr<S3Client> client, std::string key)
    : client_(std::move(client)), key_(std::move(key)), part_size_(client_->settings().part_size) {}

S3MultipartWriter::~S3MultipartWriter() {
  if (!committed_ && !upload_id_.empty()) client_->abort_upload(key_, upload_id_);
}

void S3MultipartWriter::write(std::span<const char> data) {
  ensure_open();
  try {
    while (!data.empty()) {
      if (buffer_.size() == part_size_) flush_part();
      auto n = std::min(part_size_ - buffer_.size(), data.size());
      if (buffer_.capacity() < buffer_.size() + n)  // grow, but never past one part
        buffer_.reserve(std::min(part_size_, std::max(2 * buffer_.capacity(), buffer_.size() + n)));
      buffer_.append(data.data(), n);
      data = data.subspan(n);
      written_ += n;
    }
  } catch (...) {
    failed_ = true;
    throw;
  }
}

void S3MultipartWriter::commit() {
  ensure_open();
  try {
    if (upload_id_.empty()) {
      client_->put_object(key_, buffer_);
    } else {
      flush_part();
      client_->complete_upload(key_, upload_id_, etags_);
    }
  } catch (...) {
    failed_ = true;
    throw;
  }
  committed_ = true;
  std::string().swap(buffer_);
}

void S3MultipartWriter::ensure_open() const {
  if (committed_) throw std::logic_error("S3 writer for " + key_ + " is already committed");
  if (failed_) throw StorageError("S3 writer for " + key_ + " failed earlier; start again");
}

void S3MultipartWriter::flush_part() {
  if (etags_.size() >= kMaxParts)
    throw StorageError("S3 UploadPart " + key_ + ": more than " + std::to_string(kMaxParts) +
                       " parts; the object is too large for the part size");
  if (upload_id_.empty()) upload_id_ = client_->create_upload(key_);
  etags_.push_back(client_->upload_part(key_, upload_id_, etags_.size() + 1, buffer_));
  buffer_.clear();
}

}  // namespace companion::storage
