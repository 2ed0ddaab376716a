#pragma once
// Plans: what a subscription buys. Configuration, not code: the operator
// lists them in a JSON file (--plans-file); without one there is a single
// built-in free plan. Exactly one plan is free (no Stripe price); every
// user starts on it and returns to it when a paid subscription ends.
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace companion::billing {

struct Plan {
  std::string id;
  std::string name;
  std::int64_t monthly_minutes = 0;  // processing minutes a period
  std::uint64_t max_upload_bytes = 0;
  // The longest recordings and transcripts are kept; none: as long as the
  // user and the operator allow.
  std::optional<std::int64_t> retention_days;
  std::int64_t concurrent_jobs = 1;  // recordings waiting or in processing at once
  // The longest recording processed, in minutes (none: up to what is left
  // of the period).
  std::optional<std::int64_t> max_recording_minutes;
  std::optional<std::string> price_id;  // Stripe's; none for the free plan
};

// The contract's Plan (with maxRecordingMinutes, null when unlimited).
boost::json::object to_json(const Plan& plan);

class Plans {
 public:
  // The plan every user has when no file is given (a server that sells
  // nothing): the operator's upload limit, 6,000 minutes a month, 50
  // recordings waiting or in processing, no retention ceiling of its own.
  static Plans builtin(std::uint64_t max_upload_bytes);
  // A JSON array of Plan objects (the contract's field names). Throws
  // std::invalid_argument naming the first problem: a missing or mistyped
  // field, an unknown one, a duplicate id or price, not exactly one free
  // plan, an upload limit above `max_upload_bytes` (the server's own).
  static Plans parse(std::string_view json, std::uint64_t max_upload_bytes);
  // Reads and parses the file (at most 1 MiB).
  static Plans load(const std::string& path, std::uint64_t max_upload_bytes);

  const std::vector<Plan>& all() const { return plans_; }
  const Plan& free_plan() const { return plans_[free_]; }
  const Plan* find(std::string_view id) const;
  const Plan* by_price(std::string_view price_id) const;
  // The plan a stored id names; the free plan when the id is no longer
  // configured (an operator removed it).
  const Plan& resolve(std::string_view id) const;

 private:
  std::vector<Plan> plans_;
  std::size_t free_ = 0;
};

}  // namespace companion::billing
