#include "infra/trace/trace_context.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>

#include "infra/crypto/encoding.hpp"

namespace companion::trace {
namespace {

bool lower_hex(std::string_view s, std::size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool all_zero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

// Ids need to be unique, not secret: a per-thread generator seeded once
// from the system's randomness (a getrandom call per id made a new trace
// cost 900 ns; bench/micro.cpp BM_NewTrace).
std::string random_id(std::size_t bytes) {
  thread_local std::mt19937_64 generator = [] {
    std::uint64_t seed = 0;
    auto r = crypto::random_bytes(sizeof seed);
    std::memcpy(&seed, r.data(), sizeof seed);
    return std::mt19937_64(seed);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(bytes * 2, '0');
  for (;;) {
    for (std::size_t i = 0; i < id.size(); i += 16) {
      auto v = generator();
      for (std::size_t k = i; k < std::min(id.size(), i + 16); ++k, v >>= 4) id[k] = kHex[v & 15];
    }
    if (!all_zero(id)) return id;
  }
}

}  // namespace

std::string TraceContext::traceparent() const {
  return "00-" + trace_id + "-" + span_id + (sampled ? "-01" : "-00");
}

std::optional<TraceContext> parse_traceparent(std::string_view h) {
  // version(2) - trace id(32) - span id(16) - flags(2)
  if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  auto version = h.substr(0, 2), trace_id = h.substr(3, 32), span_id = h.substr(36, 16),
       flags = h.substr(53, 2);
  if (!lower_hex(version, 2) || version == "ff") return std::nullopt;
  if (version == "00" && h.size() != 55) return std::nullopt;
  if (version != "00" && h.size() > 55 && h[55] != '-') return std::nullopt;
  if (!lower_hex(trace_id, 32) || all_zero(trace_id)) return std::nullopt;
  if (!lower_hex(span_id, 16) || all_zero(span_id)) return std::nullopt;
  if (!lower_hex(flags, 2)) return std::nullopt;
  const bool sampled = (std::stoi(std::string(flags), nullptr, 16) & 1) != 0;
  return TraceContext{std::string(trace_id), std::string(span_id), sampled};
}

TraceContext child_of(const std::optional<TraceContext>& parent) {
  if (parent) return {parent->trace_id, random_id(8), parent->sampled};
  return {random_id(16), random_id(8), false};
}

}  // namespace companion::trace
