#include "infra/http/response_head.hpp"

#include <array>
#include <charconv>

namespace companion::http {

void append_response_head(const Response& response, std::string& out) {
  out += response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  std::array<char, 8> code{};
  auto [end, ec] = std::to_chars(code.data(), code.data() + code.size(), response.result_int());
  out.append(code.data(), end);
  out += ' ';
  auto reason = response.reason();
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& field : response) {
    auto name = field.name_string();
    auto value = field.value();
    out.append(name.data(), name.size());
    out += ": ";
    out.append(value.data(), value.size());
    out += "\r\n";
  }
  out += "\r\n";
}

bool writes_plainly(const Response& response) {
  return !response.chunked();
}

}  // namespace companion::http
