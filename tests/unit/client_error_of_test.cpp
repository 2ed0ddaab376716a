// What the HTTP layer may tell a client of another layer's error: the
// mapping lives in the composition root, above both layers.
#include <gtest/gtest.h>

#include "app/components.hpp"
#include "infra/db/database.hpp"

namespace companion::app {
namespace {

TEST(ClientErrorOf, ABusyDatabaseIsA503ToRetryWithoutItsText) {
  auto mapped = client_error_of(db::Error(db::ErrorKind::kUnavailable, "database is locked"));
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->kind(), ErrorKind::kUnavailable);
  EXPECT_EQ(mapped->detail().find("locked"), std::string::npos);
}

TEST(ClientErrorOf, OtherErrorsAreAPlain500) {
  EXPECT_FALSE(client_error_of(db::Error(db::ErrorKind::kOther, "syntax error at or near")));
  EXPECT_FALSE(client_error_of(std::runtime_error("/var/lib/x: permission denied")));
}

}  // namespace
}  // namespace companion::app
