// The transcript redactor on arbitrary text: findings lie inside the text,
// in order, without overlap, and the redacted text grows by no more than
// its labels.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "infra/text/redactor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const companion::text::Redactor redactor;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto found = redactor.find(text);
  std::size_t last_end = 0;
  for (const auto& r : found) {
    FUZZ_CHECK(r.begin < r.end);
    FUZZ_CHECK(r.end <= text.size());
    FUZZ_CHECK(r.begin >= last_end);
    last_end = r.end;
  }
  auto redacted = redactor.redact(text);
  FUZZ_CHECK(redacted.size() <= text.size() + 7 * found.size());
  return 0;
}
