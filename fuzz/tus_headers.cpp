// The tus request headers, as a client sends them: Upload-Metadata (and the
// recording fields read from it), Upload-Length / Upload-Offset,
// Upload-Checksum and Upload-Concat. The first byte picks the header, the
// rest is its value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "modules/uploads/upload.hpp"

namespace uploads = companion::uploads;
using companion::BadRequest;
using companion::ValidationError;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      try {
        auto pairs = uploads::parse_metadata(value);
        for (const auto& [key, v] : pairs) FUZZ_CHECK(!key.empty() && key.size() <= 64);
      } catch (const ValidationError&) {
      }
      try {
        auto m = uploads::recording_metadata(value);
        if (m.interview_id) FUZZ_CHECK(companion::crypto::is_uuid(*m.interview_id));
        if (m.filename) FUZZ_CHECK(!m.filename->empty() && m.filename->size() <= 255);
      } catch (const ValidationError&) {
      }
      break;
    case 1:
      try {
        (void)uploads::parse_upload_number("Upload-Length", value);
      } catch (const BadRequest&) {
      }
      break;
    case 2:
      try {
        auto c = uploads::parse_checksum(value);
        FUZZ_CHECK(c.digest.size() == 16 || c.digest.size() == 20 || c.digest.size() == 32);
      } catch (const BadRequest&) {
      }
      break;
    case 3:
      try {
        auto [kind, ids] = uploads::parse_concat(value);
        if (kind == uploads::Concat::kFinal) {
          FUZZ_CHECK(!ids.empty() && ids.size() <= 1000);
          for (const auto& id : ids) FUZZ_CHECK(companion::crypto::is_uuid(id));
        } else {
          FUZZ_CHECK(ids.empty());
        }
      } catch (const ValidationError&) {
      }
      break;
    case 4:
      // Upload-Offset: the same parser, and a number written back reads the same.
      try {
        auto n = uploads::parse_upload_number("Upload-Offset", value);
        FUZZ_CHECK(uploads::parse_upload_number("Upload-Offset", std::to_string(n)) == n);
      } catch (const BadRequest&) {
      }
      break;
  }
  return 0;
}
