#pragma once
// W3C Trace Context (`traceparent`): the trace a request belongs to, carried
// from the HTTP request through the outbox and the queue into the workers,
// so one id finds an upload's request and every stage it set off in the
// logs.
//
//   traceparent: 00-<trace id: 32 hex>-<parent span id: 16 hex>-<flags: 2 hex>
#include <optional>
#include <string>
#include <string_view>

namespace companion::trace {

struct TraceContext {
  std::string trace_id;  // 32 lowercase hex digits, not all zero
  std::string span_id;   // 16 lowercase hex digits, not all zero
  bool sampled = false;

  std::string traceparent() const;
};

// nullopt for anything that is not a valid version-00 traceparent (a
// later version's first four fields are read, as the spec asks).
std::optional<TraceContext> parse_traceparent(std::string_view header);

// A new span: in `parent`'s trace when there is one, else in a new trace.
TraceContext child_of(const std::optional<TraceContext>& parent);

}  // namespace companion::trace
