#pragma once
// Object storage for recordings and other large files: objects addressed by
// a key ("recordings/<user>/<interview>/<recording>"), written once by
// streaming, read back by byte range. Two implementations side by side:
// filesystem_blob_store.cpp (local disk) and s3_blob_store.cpp (any
// S3-compatible service). Every call blocks: run it on the blocking pool.
//
// Keys are relative paths of [A-Za-z0-9._-] segments separated by '/';
// anything else (empty segments, "..", absolute paths) is refused with
// std::invalid_argument.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace companion::storage {

// Storage failures that are not the caller's fault (unreachable, I/O error).
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A streaming write. Bytes become visible under the key only on commit();
// destroying an uncommitted writer discards what was written. Memory stays
// bounded whatever the total size (S3: one multipart part at a time).
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  virtual void write(std::span<const char> data) = 0;
  virtual void commit() = 0;
  virtual std::uint64_t written() const = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual std::unique_ptr<BlobWriter> create(const std::string& key) = 0;
  // Stores a local file under the key and removes the local file (a rename
  // on the filesystem store, a streamed multipart upload on S3).
  virtual void adopt(const std::string& key, const std::filesystem::path& file) = 0;
  // Reads up to out.size() bytes from `offset`; returns how many were read
  // (fewer only at the end of the object). Throws StorageError when the
  // object does not exist.
  virtual std::size_t read(const std::string& key, std::uint64_t offset, std::span<char> out) = 0;
  // The object's size, or nullopt when it does not exist.
  virtual std::optional<std::uint64_t> size(const std::string& key) = 0;
  // Idempotent: removing a missing object is not an error.
  virtual void remove(const std::string& key) = 0;
  // Throws StorageError when the store cannot be reached (readiness).
  virtual void check() = 0;
  // Removes what writers that never committed left behind (a process killed
  // mid-write), when older than `age`; returns how many were removed.
  virtual std::size_t remove_abandoned(std::chrono::seconds age) = 0;
};

// Throws std::invalid_argument unless `key` is a safe relative key.
void validate_key(std::string_view key);

struct BlobStoreSettings {
  // file:PATH (default <data-dir>/blobs) or
  // s3://BUCKET?endpoint=http://host:port&region=us-east-1[&path_style=true]
  // with credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
  std::string url;
  std::string access_key_id;
  std::string secret_access_key;
};

std::unique_ptr<BlobStore> open_blob_store(const BlobStoreSettings& settings);

}  // namespace companion::storage
