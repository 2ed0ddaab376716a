// The remote speech service's verbose_json answer: whatever it sends, the
// reading either fails with an exception (the segment's answer "could not
// be read") or gives words a transcript can hold: text without surrounding
// space, finite times from 0 that do not run backwards, confidence in 0..1.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "check.hpp"
#include "infra/asr/remote_engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    auto r = companion::asr::parse_verbose_json(body);
    for (const auto& w : r.words) {
      FUZZ_CHECK(!w.text.empty());
      FUZZ_CHECK(std::isfinite(w.start) && std::isfinite(w.end));
      FUZZ_CHECK(w.start >= 0 && w.end >= w.start);
      FUZZ_CHECK(w.confidence >= 0 && w.confidence <= 1);
    }
    FUZZ_CHECK(r.words.empty() == r.text.empty());
  } catch (const std::exception&) {
  }
  return 0;
}
