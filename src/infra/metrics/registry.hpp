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

// Request counts and latency per (labels), with fixed buckets. The number
// of series is capped: past `max_series`, new label sets are counted under
// `overflow_labels`, so no input can grow memory or /metrics without bound.
class LatencyHistogram {
 public:
  explicit LatencyHistogram(std::size_t max_series = 2000,
                            std::string overflow_labels = "overflow=\"true\"")
      : max_series_(max_series), overflow_labels_(std::move(overflow_labels)) {}
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  void observe(const std::string& labels, double seconds);
  // Appends `name_bucket`, `name_sum`, `name_count` lines.
  void render(std::string& out, const std::string& name, const std::string& help) const;
  std::size_t series() const {
    std::lock_guard lock(mutex_);
    return series_.size();
  }

 private:
  struct Series {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::size_t max_series_;
  std::string overflow_labels_;
  mutable std::mutex mutex_;
  std::map<std::string, Series> series_;
};

}  // namespace companion::metrics
