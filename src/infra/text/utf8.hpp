#pragma once
// UTF-8 checks shared by the HTTP layer (JSON bodies, headers) and the
// modules (filenames, metadata), below both.
#include <cstddef>
#include <string_view>

namespace companion::text {

// Unicode code points in valid UTF-8.
std::size_t code_points(std::string_view utf8);
// True for well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace companion::text
