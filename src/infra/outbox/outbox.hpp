#pragma once
// The transactional outbox: an event is inserted by the same transaction
// that makes the change it announces, so neither exists without the other.
// A relay (pipeline issue) publishes pending rows to the queue.
#include <boost/json/object.hpp>

#include <string>

#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"

namespace companion::outbox {

struct Event {
  std::string topic;         // e.g. "recording.uploaded"
  std::string aggregate_id;  // e.g. the interview id
  boost::json::object payload;
  // The W3C traceparent of the span that caused it (empty: none); carried
  // in the payload under "traceparent" to the consumers.
  std::string traceparent;
};

class Outbox {
 public:
  Outbox(const Clock& clock, crypto::UuidV7Generator& ids) : clock_(clock), ids_(ids) {}
  // Inserts the event inside the caller's transaction; returns its id.
  std::string append_in(db::Connection& c, const Event& event);

 private:
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
};

}  // namespace companion::outbox
