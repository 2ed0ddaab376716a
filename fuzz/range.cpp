// The Range header of recording playback (GET .../recording), against
// recordings of several sizes: the empty one, one byte, a typical one, and
// the largest a 64-bit size can say. A range it returns lies inside the
// recording; anything it cannot serve is RangeNotSatisfiable.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "check.hpp"
#include "modules/uploads/uploads_controller.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  constexpr std::uint64_t kSizes[] = {0,    1,        2,
                                      1000, 1u << 20, std::numeric_limits<std::uint64_t>::max()};
  for (std::uint64_t recording : kSizes) {
    try {
      auto range = companion::uploads::parse_range(header, recording);
      if (!range) continue;
      FUZZ_CHECK(recording > 0);
      FUZZ_CHECK(range->first <= range->last);
      FUZZ_CHECK(range->last < recording);
    } catch (const companion::uploads::RangeNotSatisfiable&) {
    }
  }
  return 0;
}
