#include "infra/metrics/registry.hpp"

#include <cstdio>

namespace companion::metrics {

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& c : collectors_) c(out);
  return out;
}

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void LatencyHistogram::observe(const std::string& labels, double seconds) {
  std::lock_guard lock(mutex_);
  add(series_for(labels), seconds);
}

LatencyHistogram::Series& LatencyHistogram::series_for(const std::string& labels) {
  auto it = series_.find(labels);
  if (it == series_.end()) {
    const auto& key = series_.size() + 1 < max_series_ ? labels : overflow_labels_;
    it = series_.try_emplace(key).first;
  }
  return it->second;
}

void LatencyHistogram::add(Series& s, double seconds) {
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++s.buckets[i];
  ++s.count;
  s.sum += seconds;
}

void LatencyHistogram::render(std::string& out, const std::string& name,
                              const std::string& help) const {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  std::lock_guard lock(mutex_);
  char num[64];
  for (const auto& [labels, s] : series_) {
    std::string sep = labels.empty() ? "" : ",";
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(num, sizeof num, "%g", kBuckets[i]);
      out += name + "_bucket{" + labels + sep + "le=\"" + num + "\"} " +
             std::to_string(s.buckets[i]) + "\n";
    }
    out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(s.count) + "\n";
    std::snprintf(num, sizeof num, "%.6f", s.sum);
    out += name + "_sum{" + labels + "} " + num + "\n";
    out += name + "_count{" + labels + "} " + std::to_string(s.count) + "\n";
  }
}

}  // namespace companion::metrics
