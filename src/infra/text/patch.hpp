#pragma once
// A field of a partial update (PATCH): absent (leave as is), null (clear)
// or a value. A domain notion: the HTTP layer reads it from JSON, services
// apply it.
#include <optional>

namespace companion {

template <class T>
struct Patch {
  enum class State { kAbsent, kNull, kValue };
  State state = State::kAbsent;
  T value{};
  bool present() const { return state != State::kAbsent; }
  std::optional<T> as_optional() const {
    return state == State::kValue ? std::optional<T>(value) : std::nullopt;
  }
};

}  // namespace companion
