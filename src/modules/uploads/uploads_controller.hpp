#pragma once
#include <cstdint>

#include "infra/http/router.hpp"
#include "modules/uploads/recordings_service.hpp"

namespace companion::uploads {

// PUT and GET /v1/interviews/{id}/recording
void add_routes(http::Router& router, RecordingsService& service, std::uint64_t max_upload_bytes);

// A single "bytes=" range against a size: [first, last], or nullopt when
// absent/unparseable (serve everything); throws when unsatisfiable.
struct ByteRange {
  std::uint64_t first;
  std::uint64_t last;
};
class RangeNotSatisfiable : public std::runtime_error {
 public:
  RangeNotSatisfiable() : std::runtime_error("range not satisfiable") {}
};
std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size);

}  // namespace companion::uploads
