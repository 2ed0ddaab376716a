#pragma once
// The audit trail's hash chain: what an entry is, its canonical form, and
// how each entry's hash covers the one before it. Pure functions, shared
// by the writer (AuditLog) and `interview-companion audit verify`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace companion::audit {

struct AuditEntry {
  std::int64_t id = 0;  // 1, 2, … with no gaps: the chain's order
  std::int64_t at_ms = 0;
  std::string action;                  // "session.started", "user.erased", …
  std::optional<std::string> subject;  // keyed hash of the user's id; none when unknown
  std::optional<std::string> ip;       // the client's address; none for the service's own acts
  std::string detail;                  // a JSON object as text, exactly as stored
  std::string hash;                    // hex SHA-256 (chain_hash)
};

// The hash before the first entry.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// A JSON array of the entry's fields in a fixed order (id, at, action,
// subject, ip, detail), with `detail` as the stored string: the same bytes
// on every database and in every version, because nothing is re-encoded.
std::string canonical_form(const AuditEntry& entry);

// hex(SHA-256(previous_hash "\n" canonical_form(entry))).
std::string chain_hash(std::string_view previous_hash, const AuditEntry& entry);

}  // namespace companion::audit
