#pragma once
// Prometheus text exposition: components register collectors that append
// their families; /metrics renders them all.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace companion::metrics {

class Registry {
 public:
  using Collector = std::function<void(std::string& out)>;
  void add(Collector c) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(c));
  }
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Collector> collectors_;
};

// Escapes a label value for the text format.
std::string escape_label(std::string_view v);

// Request counts and latency per (labels), with fixed buckets.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  void observe(const std::string& labels, double seconds);
  // Appends `name_bucket`, `name_sum`, `name_count` lines.
  void render(std::string& out, const std::string& name, const std::string& help) const;

 private:
  struct Series {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Series> series_;
};

}  // namespace companion::metrics
