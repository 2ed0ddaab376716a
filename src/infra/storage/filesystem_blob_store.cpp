#include "infra/storage/filesystem_blob_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "infra/crypto/encoding.hpp"

namespace companion::storage {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& p) {
  throw StorageError(what + " " + p.string() + ": " + std::strerror(errno));
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Writes through O_DIRECT where the filesystem allows it: whole aligned
// blocks go from memory to the disk without a copy into the page cache
// (measured: that copy was 37 % of the server's cycles during an upload,
// docs/benchmarks.md), and the fsync at commit has little left to flush.
// Whole blocks from block-aligned memory, with nothing buffered before
// them, are written from the caller's memory (a SealedBatch's); anything
// else is gathered in a buffer of our own first. The unaligned tail is
// written after O_DIRECT is switched off. Where O_DIRECT is refused (tmpfs,
// some network filesystems) writes are buffered, and each one's writeback
// is started at once (sync_file_range) so the fsync at commit waits for
// little.
class FileWriter final : public BlobWriter {
 public:
  static constexpr std::size_t kAlign = 4096;
  static constexpr std::size_t kBuffer = 256 << 10;

  explicit FileWriter(fs::path target) : target_(std::move(target)) {
    std::error_code ec;
    fs::create_directories(target_.parent_path(), ec);
    if (ec)
      throw StorageError("cannot create " + target_.parent_path().string() + ": " + ec.message());
    temp_ = target_;
    temp_ += ".tmp-" + crypto::hex_encode(crypto::random_bytes(8));
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, 0600);
    if (fd_ < 0 && errno == EINVAL) {
      fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      direct_ = false;
    }
    if (fd_ < 0) fail("cannot create", temp_);
  }
  ~FileWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }
  void write(std::span<const char> data) override {
    const bool aligned = reinterpret_cast<std::uintptr_t>(data.data()) % kAlign == 0;
    if (used_ == 0 && (aligned || !direct_)) {
      auto whole = data.size() / kAlign * kAlign;
      if (whole > 0) put(data.data(), whole);
      data = data.subspan(whole);
    }
    while (!data.empty()) {
      if (!buffer_) allocate();
      auto n = std::min(kBuffer - used_, data.size());
      std::memcpy(buffer_.get() + used_, data.data(), n);
      used_ += n;
      data = data.subspan(n);
      if (used_ == kBuffer) flush(kBuffer);
    }
  }
  void commit() override {
    auto aligned = used_ / kAlign * kAlign;
    if (aligned > 0) flush(aligned);
    if (used_ > 0) {
      if (direct_) {
        int flags = ::fcntl(fd_, F_GETFL);
        if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0)
          fail("cannot switch off O_DIRECT for", temp_);
        direct_ = false;
      }
      flush(used_);
    }
    if (::fsync(fd_) != 0) fail("cannot fsync", temp_);
    ::close(fd_);
    fd_ = -1;
    if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("cannot rename", temp_);
    committed_ = true;
    fsync_dir(target_.parent_path());
  }
  std::uint64_t written() const override { return written_ + used_; }

 private:
  void allocate() {
    void* block = nullptr;
    if (::posix_memalign(&block, kAlign, kBuffer) != 0) throw std::bad_alloc();
    buffer_.reset(static_cast<char*>(block));
  }
  // Writes n bytes at the end of the file.
  void put(const char* p, std::size_t n) {
    const auto at = written_;
    for (std::size_t left = n; left > 0;) {
      auto w = ::write(fd_, p, left);
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("cannot write", temp_);
      }
      p += w;
      left -= static_cast<std::size_t>(w);
    }
    written_ += n;
    if (!direct_)  // a hint: commit's fsync is what counts
      ::sync_file_range(fd_, static_cast<off_t>(at), static_cast<off_t>(n), SYNC_FILE_RANGE_WRITE);
  }
  // Writes the buffer's first n bytes and keeps the rest at its start.
  void flush(std::size_t n) {
    put(buffer_.get(), n);
    std::memmove(buffer_.get(), buffer_.get() + n, used_ - n);
    used_ -= n;
  }
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };

  fs::path target_;
  fs::path temp_;
  int fd_ = -1;
  bool direct_ = true;
  std::unique_ptr<char, Free> buffer_;  // allocated when first needed
  std::size_t used_ = 0;
  std::uint64_t written_ = 0;
  bool committed_ = false;
};

}  // namespace

void validate_key(std::string_view key) {
  if (key.empty() || key.size() > 1024 || key.front() == '/')
    throw std::invalid_argument("invalid storage key");
  std::size_t start = 0;
  while (start <= key.size()) {
    auto end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    auto seg = key.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..")
      throw std::invalid_argument("invalid storage key");
    for (char c : seg) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
      if (!ok) throw std::invalid_argument("invalid storage key");
    }
    start = end + 1;
  }
}

FilesystemBlobStore::FilesystemBlobStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec)
    throw StorageError("cannot create blob directory " + root_.string() + ": " + ec.message());
}

fs::path FilesystemBlobStore::path_for(const std::string& key) const {
  validate_key(key);
  return root_ / key;
}

std::unique_ptr<BlobWriter> FilesystemBlobStore::create(const std::string& key) {
  return std::make_unique<FileWriter>(path_for(key));
}

void FilesystemBlobStore::adopt(const std::string& key, const fs::path& file) {
  auto target = path_for(key);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    throw StorageError("cannot create " + target.parent_path().string() + ": " + ec.message());
  if (::rename(file.c_str(), target.c_str()) == 0) {
    fsync_dir(target.parent_path());
    return;
  }
  if (errno != EXDEV) fail("cannot move", file);
  // Another filesystem: copy, then drop the original.
  auto writer = create(key);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", file);
  std::vector<char> buf(1 << 20);
  for (;;) {
    auto n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail("cannot read", file);
    }
    if (n == 0) break;
    writer->write({buf.data(), static_cast<std::size_t>(n)});
  }
  ::close(fd);
  writer->commit();
  fs::remove(file, ec);
}

std::size_t FilesystemBlobStore::read(const std::string& key, std::uint64_t offset,
                                      std::span<char> out) {
  auto p = path_for(key);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", p);
  std::size_t total = 0;
  while (total < out.size()) {
    auto n =
        ::pread(fd, out.data() + total, out.size() - total, static_cast<off_t>(offset + total));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail("cannot read", p);
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return total;
}

std::optional<std::uint64_t> FilesystemBlobStore::size(const std::string& key) {
  std::error_code ec;
  auto n = fs::file_size(path_for(key), ec);
  if (ec) return std::nullopt;
  return n;
}

void FilesystemBlobStore::remove(const std::string& key) {
  std::error_code ec;
  fs::remove(path_for(key), ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw StorageError("cannot remove " + key + ": " + ec.message());
}

void FilesystemBlobStore::check() {
  std::error_code ec;
  if (!fs::is_directory(root_, ec))
    throw StorageError("blob directory " + root_.string() + " is missing");
  if (::access(root_.c_str(), W_OK) != 0) fail("cannot write to", root_);
}

std::size_t FilesystemBlobStore::remove_abandoned(std::chrono::seconds age) {
  const auto cutoff = fs::file_time_type::clock::now() - age;
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) ||
        it->path().filename().string().find(".tmp-") == std::string::npos)
      continue;
    auto written = it->last_write_time(ec);
    if (!ec && written < cutoff && fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace companion::storage
