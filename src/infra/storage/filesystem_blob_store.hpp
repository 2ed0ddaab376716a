#pragma once
// Objects as files under a root directory. A writer streams into a
// temporary file beside the target, fsyncs it, and renames it into place
// on commit, so a reader never sees a half-written object.
#include "infra/storage/blob_store.hpp"

namespace companion::storage {

class FilesystemBlobStore final : public BlobStore {
 public:
  explicit FilesystemBlobStore(std::filesystem::path root);
  std::unique_ptr<BlobWriter> create(const std::string& key) override;
  void adopt(const std::string& key, const std::filesystem::path& file) override;
  std::size_t read(const std::string& key, std::uint64_t offset, std::span<char> out) override;
  std::optional<std::uint64_t> size(const std::string& key) override;
  void remove(const std::string& key) override;
  void check() override;
  // Temporary files (`*.tmp-*`) not written to for `age`.
  std::size_t remove_abandoned(std::chrono::seconds age) override;

 private:
  std::filesystem::path path_for(const std::string& key) const;
  std::filesystem::path root_;
};

}  // namespace companion::storage
