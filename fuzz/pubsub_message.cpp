// A message from the pub/sub channel (Redis, shared by every process):
// decoded or ignored, never a crash; what decodes encodes back to a message
// for the same user and seq (numbers in `data` may change form: 1e400).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "modules/realtime/event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace companion::realtime;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = decode_message(text);
  if (!m) return 0;
  FUZZ_CHECK(m->event.has_value() != m->disconnect.has_value());
  if (m->event) {
    auto again = decode_message(encode_message(*m->event));
    FUZZ_CHECK(again && again->event);
    FUZZ_CHECK(again->event->user_id == m->event->user_id);
    FUZZ_CHECK(again->event->seq == m->event->seq);
  }
  return 0;
}
