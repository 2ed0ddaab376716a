#include <stdexcept>

#include "infra/storage/blob_store.hpp"
#include "infra/storage/filesystem_blob_store.hpp"
#include "infra/storage/s3_blob_store.hpp"

namespace companion::storage {

std::unique_ptr<BlobStore> open_blob_store(const BlobStoreSettings& settings) {
  const auto& url = settings.url;
  if (url.rfind("file:", 0) == 0) {
    auto path = url.substr(5);
    if (path.empty()) throw std::invalid_argument("storage URL file: needs a path");
    return std::make_unique<FilesystemBlobStore>(path);
  }
  if (url.rfind("s3://", 0) == 0) return std::make_unique<S3BlobStore>(parse_s3_url(settings));
  throw std::invalid_argument("storage URL must start with file: or s3://");
}

}  // namespace companion::storage
