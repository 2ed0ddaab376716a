#include "infra/storage/s3_blob_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "infra/storage/s3_client.hpp"
#include "infra/storage/s3_endpoint.hpp"
#include "infra/storage/s3_multipart_writer.hpp"

namespace companion::storage {
namespace {

constexpr std::size_t kMinPartSize = 5 * 1024 * 1024;
constexpr std::size_t kAdoptChunk = 1024 * 1024;

}  // namespace

S3BlobStore::S3BlobStore(S3Settings settings) {
  if (settings.endpoint.empty() || !s3::valid_bucket(settings.bucket) ||
      !s3::valid_region(settings.region))
    throw std::invalid_argument("S3 storage needs an endpoint, a valid bucket and a region");
  if (settings.part_size < kMinPartSize)
    throw std::invalid_argument("S3 part size must be at least 5 MiB");
  if (settings.max_attempts < 1) throw std::invalid_argument("S3 max_attempts must be at least 1");
  client_ = std::make_shared<S3Client>(std::move(settings));
}

S3BlobStore::~S3BlobStore() = default;

std::unique_ptr<BlobWriter> S3BlobStore::create(const std::string& key) {
  validate_key(key);
  return std::make_unique<S3MultipartWriter>(client_, key);
}

void S3BlobStore::adopt(const std::string& key, const std::filesystem::path& file) {
  validate_key(key);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StorageError("cannot open " + file.string() + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  S3MultipartWriter writer(client_, key);
  std::vector<char> chunk(kAdoptChunk);
  for (;;) {
    auto n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw StorageError("cannot read " + file.string() + ": " + std::strerror(errno));
    if (n == 0) break;
    writer.write({chunk.data(), static_cast<std::size_t>(n)});
  }
  writer.commit();
  std::error_code ec;
  std::filesystem::remove(file, ec);
}

std::size_t S3BlobStore::read(const std::string& key, std::uint64_t offset, std::span<char> out) {
  validate_key(key);
  if (out.empty()) {
    if (!client_->head_object(key))
      throw StorageError("S3 GetObject " + key + ": HTTP 404 NoSuchKey");
    return 0;
  }
  return client_->get_range(key, offset, out);
}

std::optional<std::uint64_t> S3BlobStore::size(const std::string& key) {
  validate_key(key);
  return client_->head_object(key);
}

void S3BlobStore::remove(const std::string& key) {
  validate_key(key);
  client_->delete_object(key);
}

void S3BlobStore::check() {
  client_->head_bucket();
}

void S3BlobStore::create_bucket() {
  client_->create_bucket();
}

S3Counters S3BlobStore::counters() const {
  return client_->counters();
}

}  // namespace companion::storage
