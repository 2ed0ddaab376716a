// A WebSocket client's message (GET /v1/ws): whatever the bytes, a message
// is either refused with a reason or a subscribe/unsubscribe with a
// normalised interview id and a non-negative resume point.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "infra/crypto/uuid.hpp"
#include "modules/realtime/transports.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = companion::realtime::parse_client_message(text);
  if (!m.error.empty()) return 0;
  if (m.interview_id) {
    FUZZ_CHECK(companion::crypto::is_uuid(*m.interview_id));
    FUZZ_CHECK(companion::crypto::normalize_uuid(*m.interview_id) == *m.interview_id);
  }
  if (m.resume_from) FUZZ_CHECK(*m.resume_from >= 0 && m.subscribe);
  return 0;
}
