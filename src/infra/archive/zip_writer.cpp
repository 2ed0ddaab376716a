#include "infra/archive/zip_writer.hpp"

#include <zip.h>

namespace companion::archive {
namespace {

std::string message(zip_t* z) {
  return z ? zip_strerror(z) : "unknown error";
}

}  // namespace

ZipWriter::ZipWriter(const std::string& path) {
  int error = 0;
  zip_ = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (!zip_) {
    zip_error_t e;
    zip_error_init_with_code(&e, error);
    std::string why = zip_error_strerror(&e);
    zip_error_fini(&e);
    throw ZipError("cannot create " + path + ": " + why);
  }
}

ZipWriter::~ZipWriter() {
  if (zip_) zip_discard(zip_);
}

void ZipWriter::add_file(const std::string& name, const std::string& path, bool compress) {
  zip_source_t* source = zip_source_file(zip_, path.c_str(), 0, 0);
  if (!source) throw ZipError("cannot read " + path + ": " + message(zip_));
  auto index = zip_file_add(zip_, name.c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
  if (index < 0) {
    zip_source_free(source);
    throw ZipError("cannot add " + name + ": " + message(zip_));
  }
  if (zip_set_file_compression(zip_, static_cast<zip_uint64_t>(index),
                               compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0) != 0)
    throw ZipError("cannot set the compression of " + name + ": " + message(zip_));
}

void ZipWriter::close() {
  if (zip_close(zip_) != 0) throw ZipError("cannot write the archive: " + message(zip_));
  zip_ = nullptr;
}

}  // namespace companion::archive
