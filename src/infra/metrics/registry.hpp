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
#include <unordered_map>
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
  // The same, for a caller that names its series by a key of its own (say,
  // a route's address and a status): `labels()` runs only the first time
  // the key is seen, so a request builds no label string.
  struct Key {
    const void* subject = nullptr;
    std::uint32_t detail = 0;
    bool operator==(const Key&) const = default;
  };
  template <class MakeLabels>
  void observe(Key key, MakeLabels&& labels, double seconds) {
    std::lock_guard lock(mutex_);
    auto it = by_key_.find(key);
    if (it == by_key_.end()) it = by_key_.emplace(key, &series_for(labels())).first;
    add(*it->second, seconds);
  }
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
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<const void*>()(k.subject) * 31 + k.detail;
    }
  };
  Series& series_for(const std::string& labels);  // the mutex is held
  static void add(Series& s, double seconds);
  std::size_t max_series_;
  std::string overflow_labels_;
  mutable std::mutex mutex_;
  std::map<std::string, Series> series_;
  // Keys already seen, to their series (map nodes do not move). Bounded:
  // callers' keys come from a finite set (routes, methods, statuses).
  std::unordered_map<Key, Series*, KeyHash> by_key_;
};

}  // namespace companion::metrics
