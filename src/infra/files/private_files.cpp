#include "infra/files/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "infra/crypto/encoding.hpp"

namespace companion::files {
namespace {

namespace stdfs = std::filesystem;

[[noreturn]] void fail(const std::string& what, const stdfs::path& p, int error = errno) {
  throw FileError(what + " " + p.string() + ": " + std::strerror(error));
}

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }
  // close() reports what a delayed write-back failure would otherwise hide.
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

void fsync_directory(const stdfs::path& dir) {
  Descriptor fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) fail("cannot fsync directory", dir);
}

std::string read_all(const stdfs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read", path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

bool make_private_directory(const stdfs::path& path) {
  // "data/" names the directory "data", not an empty name inside it.
  const auto dir = path.has_filename() ? path : path.parent_path();
  std::error_code ec;
  if (stdfs::is_directory(dir, ec)) return false;
  auto parent = dir.parent_path();
  if (!parent.empty()) {
    stdfs::create_directories(parent, ec);
    if (ec) throw FileError("cannot create " + parent.string() + ": " + ec.message());
  }
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST && stdfs::is_directory(dir, ec)) return false;  // made meanwhile
    fail("cannot create", dir);
  }
  // The new entry survives a crash with its parent (best effort: a parent
  // we may write but not read cannot be opened to be synced).
  try {
    fsync_directory(parent);
  } catch (const FileError&) {
  }
  return true;
}

bool create_private_file(const stdfs::path& path) {
  Descriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) return false;
    fail("cannot create", path);
  }
  if (fd.close() != 0) fail("cannot create", path);
  fsync_directory(path.parent_path());
  return true;
}

unsigned group_or_other_bits(const stdfs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<unsigned>(st.st_mode) & 077u;
}

Secret load_or_create_secret(const stdfs::path& path,
                             const std::function<std::string()>& generate) {
  std::error_code ec;
  if (stdfs::exists(path, ec)) return {read_all(path), false};

  auto content = generate();
  auto temp = path;
  temp += ".tmp-" + crypto::hex_encode(crypto::random_bytes(6));
  {
    Descriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) fail("cannot create", temp);
    auto cleanup_and_fail = [&](const char* what) {
      int error = errno;
      ::unlink(temp.c_str());
      fail(what, temp, error);
    };
    std::size_t done = 0;
    while (done < content.size()) {
      auto n = ::write(fd.get(), content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) cleanup_and_fail("cannot write");
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) cleanup_and_fail("cannot fsync");
    if (fd.close() != 0) cleanup_and_fail("cannot write");
  }
  // link(), unlike rename(), never replaces: of two processes generating at
  // once, one secret wins and both use it.
  bool won = ::link(temp.c_str(), path.c_str()) == 0;
  int link_error = errno;
  ::unlink(temp.c_str());
  if (!won && link_error != EEXIST) fail("cannot create", path, link_error);
  fsync_directory(path.parent_path());
  if (!won) return {read_all(path), false};
  return {std::move(content), true};
}

}  // namespace companion::files
