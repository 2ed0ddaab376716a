#pragma once
// Text made safe for HTML and XML element content and attribute values:
// & < > " ' become entities.
#include <string>
#include <string_view>

namespace companion::text {

std::string escape_markup(std::string_view text);

}  // namespace companion::text
