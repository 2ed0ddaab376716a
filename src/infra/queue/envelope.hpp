#pragma once
// What the outbox relay puts in a job: the event that caused it. Consumers
// record `event_id` as processed in the transaction of their effect
// (ProcessedEvents), so a redelivered job changes nothing twice.
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "infra/db/database.hpp"
#include "infra/queue/queue.hpp"
#include "infra/trace/trace_context.hpp"

namespace companion::queue {

struct Envelope {
  std::string event_id;
  std::string topic;
  std::string aggregate_id;
  boost::json::object payload;
  int attempt = 0;              // the job's delivery count
  std::function<void()> alive;  // the job's (Job::alive): call on progress
  // The span that caused the event, when it was traced (payload
  // "traceparent"); `trace()` is this consumer's span in the same trace.
  std::optional<trace::TraceContext> cause;
  trace::TraceContext trace() const { return trace::child_of(cause); }

  // A payload string field; PermanentFailure when it is missing.
  std::string field(const char* name) const;
};

// The user a job works for: its payload's "userId" (fair scheduling);
// nullopt when it has none. Reads the text the relay stores, which this
// service wrote (boost::json's compact form), without parsing all of it.
std::optional<std::string> owner_of(std::string_view payload);

// Throws PermanentFailure for a job that is not an envelope.
Envelope open_envelope(const Job& job);

class ProcessedEvents {
 public:
  // Whether `consumer` already handled the event.
  bool seen_in(db::Connection& c, std::string_view consumer, const std::string& event_id);
  // Records it; false when it was recorded already (the caller's
  // transaction then must not apply its effect).
  bool record_in(db::Connection& c, std::string_view consumer, const std::string& event_id,
                 std::int64_t now_ms);
  // Forgets records older than `before_ms` (their jobs are long gone).
  std::size_t sweep_in(db::Connection& c, std::int64_t before_ms);
};

}  // namespace companion::queue
