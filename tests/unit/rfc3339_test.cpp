#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "infra/clock/rfc3339.hpp"

namespace companion {
namespace {

constexpr std::int64_t k2024 = 1'704'067'200'000;  // 2024-01-01T00:00:00Z

TEST(ParseRfc3339, UtcWithZ) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00Z"), k2024);
  EXPECT_EQ(parse_rfc3339("2030-01-02T10:00:00Z"), 1'893'578'400'000);
  EXPECT_EQ(parse_rfc3339("2024-01-01T23:59:59Z"), k2024 + 86'399'000);
}

TEST(ParseRfc3339, AcceptsLowercaseSeparatorAndZulu) {
  EXPECT_EQ(parse_rfc3339("2024-01-01t00:00:00z"), k2024);
  EXPECT_EQ(parse_rfc3339("2024-01-01t00:00:00Z"), k2024);
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00z"), k2024);
}

TEST(ParseRfc3339, NormalizesOffsetsToUtc) {
  EXPECT_EQ(parse_rfc3339("2024-01-01T01:30:00+01:30"), k2024);
  EXPECT_EQ(parse_rfc3339("2023-12-31T19:00:00-05:00"), k2024);
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00+00:00"), k2024);
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00-00:00"), k2024);
  // Offsets move the instant across day and year boundaries.
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:30:00+01:00"), k2024 - 30 * 60'000);
  EXPECT_EQ(parse_rfc3339("2023-12-31T23:59:00-00:01"), k2024);
  EXPECT_EQ(parse_rfc3339("2024-01-01T14:00:00+14:00"), k2024);
  EXPECT_EQ(parse_rfc3339("2023-12-31T12:00:00-12:00"), k2024);
  // The same instant in several notations compares equal.
  EXPECT_EQ(parse_rfc3339("2024-06-30T22:15:30.250+02:00"),
            parse_rfc3339("2024-06-30T20:15:30.250Z"));
}

TEST(ParseRfc3339, FractionalSecondsOfOneToNineDigitsKeepMilliseconds) {
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00.5Z"), k2024 + 500);
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00.12Z"), k2024 + 120);
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00.123Z"), k2024 + 123);
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00.007Z"), k2024 + 7);
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00.1239Z"), k2024 + 123);  // truncated, not rounded
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00.999999999Z"), k2024 + 999);
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:00:00.000000001Z"), k2024);
  EXPECT_EQ(parse_rfc3339("2024-01-01T01:00:00.250+01:00"), k2024 + 250);
}

TEST(ParseRfc3339, RejectsEmptyOrOverlongFractions) {
  EXPECT_FALSE(parse_rfc3339("2024-01-01T00:00:00.Z"));
  EXPECT_FALSE(parse_rfc3339("2024-01-01T00:00:00.1234567890Z"));  // 10 digits
  EXPECT_FALSE(parse_rfc3339("2024-01-01T00:00:00.12a3Z"));
  EXPECT_FALSE(parse_rfc3339("2024-01-01T00:00:00,5Z"));
}

TEST(ParseRfc3339, LeapDays) {
  EXPECT_EQ(parse_rfc3339("2024-02-29T12:00:00Z"), 1'709'208'000'000);
  EXPECT_EQ(parse_rfc3339("2000-02-29T00:00:00Z"), 951'782'400'000);  // divisible by 400
  EXPECT_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("1900-02-29T00:00:00Z"));  // divisible by 100, not 400
  EXPECT_FALSE(parse_rfc3339("2100-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-02-30T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("2023-02-28T23:59:59Z"));
}

TEST(ParseRfc3339, RejectsImpossibleDatesAndTimes) {
  for (const char* text : {
           "2024-00-10T00:00:00Z",  // month 0
           "2024-13-10T00:00:00Z",  // month 13
           "2024-01-00T00:00:00Z",  // day 0
           "2024-01-32T00:00:00Z",  // day 32
           "2024-04-31T00:00:00Z",  // April has 30 days
           "2024-06-31T00:00:00Z",
           "2024-09-31T00:00:00Z",
           "2024-11-31T00:00:00Z",
           "2024-01-01T24:00:00Z",  // hour 24
           "2024-01-01T00:60:00Z",  // minute 60
           "2024-01-01T00:00:61Z",  // second 61
           "2024-01-01T99:00:00Z",
       }) {
    EXPECT_FALSE(parse_rfc3339(text)) << text;
  }
  EXPECT_TRUE(parse_rfc3339("2024-12-31T23:59:59Z"));
  EXPECT_TRUE(parse_rfc3339("2024-01-31T00:00:00Z"));
}

TEST(ParseRfc3339, RequiresAnOffset) {
  EXPECT_FALSE(parse_rfc3339("2024-01-01T00:00:00"));
  EXPECT_FALSE(parse_rfc3339("2024-01-01T00:00:00.123"));
  EXPECT_FALSE(parse_rfc3339("2024-01-01T00:00:00.123456789"));
  EXPECT_FALSE(parse_rfc3339("2024-01-01"));
  EXPECT_FALSE(parse_rfc3339(""));
}

TEST(ParseRfc3339, RejectsMalformedOffsets) {
  for (const char* text : {
           "2024-01-01T00:00:00+0100",
           "2024-01-01T00:00:00+01",
           "2024-01-01T00:00:00+1:00",
           "2024-01-01T00:00:00+01:0",
           "2024-01-01T00:00:00+24:00",
           "2024-01-01T00:00:00+01:60",
           "2024-01-01T00:00:00+",
           "2024-01-01T00:00:00 +01:00",
           "2024-01-01T00:00:00UTC",
           "2024-01-01T00:00:00GMT",
       }) {
    EXPECT_FALSE(parse_rfc3339(text)) << text;
  }
}

TEST(ParseRfc3339, RejectsTrailingAndLeadingJunkAndBadSeparators) {
  for (const char* text : {
           "2024-01-01T00:00:00Zx",
           "2024-01-01T00:00:00Z ",
           "2024-01-01T00:00:00ZZ",
           "2024-01-01T00:00:00+01:00x",
           "2024-01-01T00:00:00+01:00Z",
           " 2024-01-01T00:00:00Z",
           "2024-01-01X00:00:00Z",
           "2024/01/01T00:00:00Z",
           "2024-01-01T00-00-00Z",
           "2024-1-01T00:00:00Z",
           "24-01-01T00:00:00Z",
           "+2024-01-01T00:00:00Z",
           "2024-01-01T0a:00:00Z",
           "2024-01-01T00:00:00.123456789+01:00:00",
       }) {
    EXPECT_FALSE(parse_rfc3339(text)) << text;
  }
}

TEST(FormatRfc3339, UsesMillisecondsAndZ) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(k2024 + 7), "2024-01-01T00:00:00.007Z");
  EXPECT_EQ(format_rfc3339(1'709'208'000'000), "2024-02-29T12:00:00.000Z");
  EXPECT_EQ(format_rfc3339(k2024 - 1), "2023-12-31T23:59:59.999Z");
}

TEST(FormatRfc3339, HandlesInstantsBefore1970) {
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(format_rfc3339(-1001), "1969-12-31T23:59:58.999Z");
  EXPECT_EQ(format_rfc3339(-86'400'000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(-14'182'939'500), "1969-07-20T20:17:40.500Z");
  EXPECT_EQ(format_rfc3339(-2'208'988'800'000), "1900-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(-11'670'912'000'000), "1600-03-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(-62'135'596'800'000), "0001-01-01T00:00:00.000Z");
}

TEST(FormatRfc3339, HandlesFarFutureDates) {
  EXPECT_EQ(format_rfc3339(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(4'107'542'400'000), "2100-03-01T00:00:00.000Z");
}

TEST(Rfc3339, FormatThenParseRoundTrips) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{999},
                          std::int64_t{-999}, std::int64_t{-1000}, std::int64_t{-14'182'939'500},
                          std::int64_t{-2'208'988'800'001}, std::int64_t{-62'135'596'800'000},
                          std::int64_t{951'782'400'000}, std::int64_t{1'709'208'000'123},
                          std::int64_t{1'893'578'400'999}, std::int64_t{253'402'300'799'999}}) {
    auto text = format_rfc3339(ms);
    EXPECT_EQ(parse_rfc3339(text), ms) << text;
  }
  // Every millisecond offset within one second, on both sides of the epoch.
  for (std::int64_t ms = -2000; ms <= 2000; ms += 7) {
    EXPECT_EQ(parse_rfc3339(format_rfc3339(ms)), ms) << ms;
  }
  // One instant a day for four years (covers a leap year and every month end).
  for (std::int64_t day = 0; day < 4 * 366; ++day) {
    std::int64_t ms = k2024 - 366LL * 86'400'000 + day * 86'400'000 + 12'345'678;
    EXPECT_EQ(parse_rfc3339(format_rfc3339(ms)), ms) << format_rfc3339(ms);
  }
}

// Found by fuzz_json_body (fuzz/corpus/json_body/early-date.json): an
// offset moved the instant to year -1 or 10000, and the API answered with a
// scheduledAt that is not RFC 3339 and does not parse back.
TEST(ParseRfc3339, RejectsOffsetsThatLeaveYears0000To9999) {
  EXPECT_EQ(parse_rfc3339("0000-01-01T00:00:00+01:00"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59-00:01"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("0000-01-01T00:00:00Z"), -62'167'219'200'000);
  EXPECT_EQ(parse_rfc3339("0000-01-01T00:30:00+00:30"), -62'167'219'200'000);
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59.999Z"), 253'402'300'799'999);
  for (const char* text : {"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z",
                           "0000-01-01T05:00:00+04:59", "9999-12-31T20:00:00-03:59"}) {
    auto ms = parse_rfc3339(text);
    ASSERT_TRUE(ms) << text;
    EXPECT_EQ(parse_rfc3339(format_rfc3339(*ms)), ms) << text;
  }
}

TEST(ParseRfc3339, DatesBefore1970) {
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(parse_rfc3339("1969-07-20T20:17:40.500Z"), -14'182'939'500);
  EXPECT_EQ(parse_rfc3339("1900-01-01T00:00:00Z"), -2'208'988'800'000);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:30:00+01:00"), -1'800'000);
  EXPECT_EQ(parse_rfc3339("1600-02-29T00:00:00Z"), -11'670'998'400'000);  // divisible by 400
  EXPECT_FALSE(parse_rfc3339("1700-02-29T00:00:00Z"));
}

TEST(FormatRfc3339, LeapDaysAndTheDayAfter) {
  EXPECT_EQ(format_rfc3339(-11'670'998'400'000), "1600-02-29T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(951'782'400'000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(951'782'400'000 + 86'400'000), "2000-03-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(4'107'542'400'000 - 1), "2100-02-28T23:59:59.999Z");  // not leap
  EXPECT_EQ(format_rfc3339(-62'167'219'200'000), "0000-01-01T00:00:00.000Z");
}

TEST(FormatHttpDate, WeekdaysAcrossLeapDaysAndBefore1970) {
  EXPECT_EQ(format_http_date(951'782'400'000), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(format_http_date(951'782'400'000 + 86'400'000), "Wed, 01 Mar 2000 00:00:00 GMT");
  EXPECT_EQ(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(format_http_date(-14'182'939'500), "Sun, 20 Jul 1969 20:17:40 GMT");
  EXPECT_EQ(format_http_date(253'402'300'799'999), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(Rfc3339, ParseThenFormatNormalizesToUtcMilliseconds) {
  auto ms = parse_rfc3339("2026-11-24T07:48:13.123456+02:00");
  ASSERT_TRUE(ms);
  EXPECT_EQ(format_rfc3339(*ms), "2026-11-24T05:48:13.123Z");
}

}  // namespace
}  // namespace companion
