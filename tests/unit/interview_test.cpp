#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "infra/crypto/encoding.hpp"
#include "modules/interviews/interview.hpp"

namespace companion::interviews {
namespace {

const std::string kId = "01890a5d-ac96-774b-bcce-b302099a8057";

std::string cursor_of(std::string_view raw) {
  return crypto::base64url_encode(raw);
}

TEST(Cursor, RoundTrips) {
  for (std::int64_t created : {std::int64_t{0}, std::int64_t{1'700'000'000'123},
                               std::int64_t{253'402'300'799'999}, std::int64_t{-5}}) {
    Cursor c{created, kId};
    auto text = encode_cursor(c);
    auto back = decode_cursor(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(back->created_at_ms, created);
    EXPECT_EQ(back->id, kId);
  }
}

TEST(Cursor, IsOpaqueAndUrlSafe) {
  auto text = encode_cursor({1'700'000'000'123, kId});
  EXPECT_EQ(
      text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find(kId), std::string::npos);
  EXPECT_LE(text.size(), 128u);
}

TEST(Cursor, DecodesWhatTheEncodingDescribes) {
  // base64url("v1:<createdAt>:<id>"), written by hand.
  auto c = decode_cursor(cursor_of("v1:1700000000123:" + kId));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->created_at_ms, 1'700'000'000'123);
  EXPECT_EQ(c->id, kId);
}

TEST(Cursor, RejectsWrongVersionPrefix) {
  EXPECT_FALSE(decode_cursor(cursor_of("v2:1700000000123:" + kId)));
  EXPECT_FALSE(decode_cursor(cursor_of("V1:1700000000123:" + kId)));
  EXPECT_FALSE(decode_cursor(cursor_of("1700000000123:" + kId)));
  EXPECT_FALSE(decode_cursor(cursor_of("v1" + kId)));
  EXPECT_FALSE(decode_cursor(cursor_of("")));
}

TEST(Cursor, RejectsTamperedTimestamps) {
  EXPECT_FALSE(decode_cursor(cursor_of("v1::" + kId)));
  EXPECT_FALSE(decode_cursor(cursor_of("v1:abc:" + kId)));
  EXPECT_FALSE(decode_cursor(cursor_of("v1:12x3:" + kId)));
  EXPECT_FALSE(decode_cursor(cursor_of("v1: 123:" + kId)));
  EXPECT_FALSE(decode_cursor(cursor_of("v1:+123:" + kId)));
  EXPECT_FALSE(decode_cursor(cursor_of("v1:99999999999999999999:" + kId)));  // > int64
  EXPECT_FALSE(decode_cursor(cursor_of("v1:1700000000123")));                // no id part
}

TEST(Cursor, RejectsIdsThatAreNotUuids) {
  EXPECT_FALSE(decode_cursor(cursor_of("v1:1700000000123:")));
  EXPECT_FALSE(decode_cursor(cursor_of("v1:1700000000123:not-a-uuid")));
  EXPECT_FALSE(decode_cursor(cursor_of("v1:1700000000123:" + kId + "x")));
  EXPECT_FALSE(decode_cursor(cursor_of("v1:1700000000123:" + kId + ":1")));
  EXPECT_FALSE(decode_cursor(cursor_of("v1:1700000000123:" + kId.substr(1))));
  EXPECT_FALSE(decode_cursor(cursor_of("v1:1700000000123:' OR 1=1 --")));
}

TEST(Cursor, RejectsIdsThisServiceDidNotProduce) {
  // Ids are issued in lowercase and compared as text in SQL; an uppercase id
  // would sort differently and page through the wrong rows.
  std::string upper = "01890A5D-AC96-774B-BCCE-B302099A8057";
  EXPECT_FALSE(decode_cursor(cursor_of("v1:1700000000123:" + upper)));
}

TEST(Cursor, RejectsOverlongText) {
  // Leading zeros keep it otherwise well-formed; only the length is wrong.
  std::string padded = "v1:" + std::string(70, '0') + "1700000000123:" + kId;
  auto text = cursor_of(padded);
  ASSERT_GT(text.size(), 128u);
  EXPECT_FALSE(decode_cursor(text));
  EXPECT_FALSE(decode_cursor(std::string(10'000, 'A')));
}

TEST(Cursor, RejectsTextThatIsNotBase64Url) {
  auto good = encode_cursor({1'700'000'000'123, kId});
  EXPECT_FALSE(decode_cursor(good + "="));
  EXPECT_FALSE(decode_cursor(good + "!"));
  EXPECT_FALSE(decode_cursor("!!!!"));
  EXPECT_FALSE(decode_cursor("a+b/"));
  EXPECT_FALSE(decode_cursor(good.substr(0, good.size() - 1) + "+"));
  EXPECT_FALSE(decode_cursor(good.substr(1)));  // every later 6-bit group shifts
  EXPECT_FALSE(decode_cursor(""));
}

TEST(Cursor, EveryTruncationIsRejected) {
  auto good = encode_cursor({1'700'000'000'123, kId});
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode_cursor(good.substr(0, n))) << n;
}

TEST(Status, NamesRoundTrip) {
  const std::pair<Status, const char*> all[] = {
      {Status::kCreated, "created"},     {Status::kUploading, "uploading"},
      {Status::kUploaded, "uploaded"},   {Status::kTranscribing, "transcribing"},
      {Status::kAnalyzing, "analyzing"}, {Status::kCompleted, "completed"},
      {Status::kFailed, "failed"},       {Status::kCancelled, "cancelled"},
  };
  for (auto [status, name] : all) {
    EXPECT_EQ(to_string(status), name);
    EXPECT_EQ(status_from_string(name), status);
  }
}

TEST(Status, UnknownNamesThrow) {
  EXPECT_THROW(status_from_string(""), std::runtime_error);
  EXPECT_THROW(status_from_string("Created"), std::runtime_error);
  EXPECT_THROW(status_from_string("canceled"), std::runtime_error);
  EXPECT_THROW(status_from_string("created "), std::runtime_error);
}

}  // namespace
}  // namespace companion::interviews
