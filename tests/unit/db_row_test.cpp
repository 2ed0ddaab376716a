#include <gtest/gtest.h>

#include "support/db_errors.hpp"

#include <limits>
#include <string>

#include "infra/db/database.hpp"

namespace companion::db {
namespace {

// Rows as the two drivers produce them: SQLite typed, PostgreSQL as text.
Row sqlite_row() {
  return Row({Row::Cell{std::int64_t{42}}, Row::Cell{std::string("hello")},
              Row::Cell{std::monostate{}}, Row::Cell{3.0}, Row::Cell{std::int64_t{-7}}});
}
Row postgres_row() {
  return Row({Row::Cell{std::string("42")}, Row::Cell{std::string("hello")},
              Row::Cell{std::monostate{}}, Row::Cell{std::string("9223372036854775807")},
              Row::Cell{std::string("-7")}});
}

using test_support::kind_of;

TEST(Row, ReadsTypedCells) {
  auto r = sqlite_row();
  EXPECT_EQ(r.size(), 5u);
  EXPECT_EQ(r.int64(0), 42);
  EXPECT_EQ(r.text(0), "42");
  EXPECT_EQ(r.text(1), "hello");
  EXPECT_TRUE(r.is_null(2));
  EXPECT_FALSE(r.is_null(0));
  EXPECT_EQ(r.optional_text(2), std::nullopt);
  EXPECT_EQ(r.optional_int64(2), std::nullopt);
  EXPECT_EQ(r.int64(3), 3);
  EXPECT_EQ(r.int64(4), -7);
  EXPECT_EQ(r.optional_int64(0), 42);
}

TEST(Row, ConvertsTextCells) {
  auto r = postgres_row();
  EXPECT_EQ(r.int64(0), 42);
  EXPECT_EQ(r.text(0), "42");
  EXPECT_EQ(r.int64(3), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(r.int64(4), -7);
  EXPECT_EQ(r.optional_text(1), "hello");
  EXPECT_EQ(r.optional_int64(2), std::nullopt);
}

TEST(Row, NonIntegerTextIsAnError) {
  for (const char* text : {"hello", "", "42abc", " 42", "4.5", "99999999999999999999"}) {
    Row r({Row::Cell{std::string(text)}});
    EXPECT_EQ(kind_of([&] { r.int64(0); }), ErrorKind::kOther) << text;
  }
}

TEST(Row, NullWhereAValueIsRequiredIsAnError) {
  auto r = sqlite_row();
  EXPECT_EQ(kind_of([&] { r.text(2); }), ErrorKind::kOther);
  EXPECT_EQ(kind_of([&] { r.int64(2); }), ErrorKind::kOther);
}

TEST(Row, ColumnOutOfRangeIsAnError) {
  auto r = sqlite_row();
  EXPECT_EQ(kind_of([&] { r.text(5); }), ErrorKind::kOther);
  EXPECT_EQ(kind_of([&] { r.is_null(99); }), ErrorKind::kOther);
  EXPECT_EQ(kind_of([&] { r.optional_int64(5); }), ErrorKind::kOther);
  Row empty({});
  EXPECT_EQ(kind_of([&] { empty.int64(0); }), ErrorKind::kOther);
}

TEST(Value, HoldsWhatWasBound) {
  EXPECT_TRUE(std::holds_alternative<std::monostate>(Value(nullptr).get()));
  EXPECT_EQ(std::get<std::int64_t>(Value(7).get()), 7);
  EXPECT_EQ(std::get<std::int64_t>(Value(std::int64_t{1} << 40).get()), std::int64_t{1} << 40);
  EXPECT_EQ(std::get<double>(Value(2.5).get()), 2.5);
  EXPECT_EQ(std::get<std::string>(Value("text").get()), "text");
  EXPECT_EQ(std::get<std::string>(Value(std::string_view("view")).get()), "view");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(Value(std::optional<std::string>()).get()));
  EXPECT_EQ(std::get<std::string>(Value(std::optional<std::string>("x")).get()), "x");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(Value(std::optional<std::int64_t>()).get()));
  EXPECT_EQ(std::get<std::int64_t>(Value(std::optional<std::int64_t>(9)).get()), 9);
}

}  // namespace
}  // namespace companion::db
