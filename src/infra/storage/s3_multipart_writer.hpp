#pragma once
// A BlobWriter for S3 that holds at most one part: the part is uploaded
// when the next byte arrives, so an object of at most one part is a single
// PutObject and a larger one a multipart upload (CreateMultipartUpload on
// the first full part, UploadPart for each, CompleteMultipartUpload on
// commit()). Dropping it uncommitted aborts the upload, best effort.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "infra/storage/blob_store.hpp"

namespace companion::storage {

class S3Client;

class S3MultipartWriter final : public BlobWriter {
 public:
  S3MultipartWriter(std::shared_ptr<S3Client> client, std::string key);
  ~S3MultipartWriter() override;

  void write(std::span<const char> data) override;
  void commit() override;
  std::uint64_t written() const override { return written_; }

 private:
  void ensure_open() const;
  void flush_part();

  std::shared_ptr<S3Client> client_;
  std::string key_;
  std::size_t part_size_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  std::uint64_t written_ = 0;
  bool committed_ = false;
  bool failed_ = false;
};

}  // namespace companion::storage
