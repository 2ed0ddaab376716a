#pragma once
// Files compiled into the binary at build time (see cmake/embed_files.cmake).
#include <string_view>
#include <vector>

namespace companion::embedded {

struct File {
  std::string_view name;
  std::string_view content;
};

// SQL migrations, sorted by name (NNNN_description[.dialect].sql).
const std::vector<File>& migrations();

// The OpenAPI 3.1 document served at /openapi.json.
std::string_view openapi_json();

}  // namespace companion::embedded
