#pragma once
// A response's status line and header block, written straight into a
// string. Beast's serializer produces the same bytes but walks them as a
// concatenated buffer sequence, which cost about 19,000 instructions per
// response on /healthz (callgrind, docs/benchmarks.md); this costs a few
// hundred. Used for every response whose body is in memory and not chunked.
#include <string>

#include "infra/http/types.hpp"

namespace companion::http {

// Appends "HTTP/1.x code reason\r\n", each field as "Name: value\r\n" in
// order, and the blank line, to `out`.
void append_response_head(const Response& response, std::string& out);

// Whether append_response_head and the body are the whole message (false
// for chunked transfer coding, which Beast's serializer frames).
bool writes_plainly(const Response& response);

}  // namespace companion::http
