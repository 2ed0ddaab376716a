#pragma once
// The db::ErrorKind a call throws (a test failure when it throws none).
#include <gtest/gtest.h>

#include <functional>

#include "infra/db/database.hpp"

namespace companion::test_support {

inline db::ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const db::Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no db::Error thrown";
  return db::ErrorKind::kOther;
}

}  // namespace companion::test_support
