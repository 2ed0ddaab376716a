#pragma once
// Writes a zip file (libzip) from files on disk, so memory stays bounded
// whatever their size: libzip reads each file while it writes the archive
// at close(). Blocking.
#include <stdexcept>
#include <string>

struct zip;

namespace companion::archive {

class ZipError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ZipWriter {
 public:
  // Creates (or truncates) the archive at `path`.
  explicit ZipWriter(const std::string& path);
  // An archive not closed is discarded.
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // `name` inside the archive; `compress` false stores it as it is (audio
  // is compressed already).
  void add_file(const std::string& name, const std::string& path, bool compress = true);
  // Writes the archive; the files added must exist until then.
  void close();

 private:
  zip* zip_ = nullptr;
};

}  // namespace companion::archive
