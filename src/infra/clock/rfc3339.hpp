#pragma once
// RFC 3339 timestamps: parsing with any offset (normalised to UTC) and
// formatting as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace companion {

// Milliseconds since the Unix epoch, or nullopt when the text is not an
// RFC 3339 date-time (with a real calendar date and an offset).
std::optional<std::int64_t> parse_rfc3339(std::string_view text);
std::string format_rfc3339(std::int64_t epoch_ms);
// RFC 9110 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(std::int64_t epoch_ms);

}  // namespace companion
