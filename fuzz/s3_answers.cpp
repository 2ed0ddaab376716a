// What an S3-compatible server answers, read as the store reads it: the
// first <Tag>…</Tag> (unescaped), an <Error>'s code and message, and
// whether a CompleteMultipartUpload answer really succeeded. None may
// throw or read outside the answer, and unescaping never grows the text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "infra/storage/s3_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace s3 = companion::storage::s3;
  const std::string_view doc(reinterpret_cast<const char*>(data), size);
  for (std::string_view tag : {"UploadId", "Code", "Message", "ETag", "Key"}) {
    auto text = s3::xml_text(doc, tag);
    FUZZ_CHECK(text.size() <= doc.size());
  }
  // The code and the message, each at most the answer (they may overlap).
  auto summary = s3::error_summary(doc);
  FUZZ_CHECK(summary.size() <= 2 * doc.size() + 3);
  (void)s3::upload_completed(doc);
  return 0;
}
