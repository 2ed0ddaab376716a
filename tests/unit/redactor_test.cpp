// Redaction of emails, phone numbers and card numbers in transcript text.
#include <gtest/gtest.h>

#include "infra/text/redactor.hpp"

namespace companion::text {
namespace {

TEST(Redactor, ReplacesEmailsPhonesAndCards) {
  Redactor r;
  EXPECT_EQ(r.redact("write to ada.lovelace+jobs@example.co.uk today"), "write to [email] today");
  EXPECT_EQ(r.redact("call me at +1 415 555 0132 or (020) 7946 0958"),
            "call me at [phone] or [phone]");
  EXPECT_EQ(r.redact("my card is 4111 1111 1111 1111 thanks"), "my card is [card] thanks");
  EXPECT_EQ(r.redact("4111-1111-1111-1111"), "[card]");
}

TEST(Redactor, LeavesOrdinaryNumbersAndTextAlone) {
  Redactor r;
  for (const char* text : {"I led a team of 12 people for 3 years", "in 2019 and 2020",
                           "version 1.2.3", "an @ sign alone", "no digits here"})
    EXPECT_EQ(r.redact(text), text);
  // Sixteen digits that fail the Luhn check are not a card (a long phone-like
  // number may still be taken as a phone).
  EXPECT_EQ(r.find("order 1234 5678 9012 3456").size() <= 1u, true);
  EXPECT_NE(r.redact("order 1234 5678 9012 3456"), "order [card]");
}

TEST(Redactor, FindingsAreOrderedAndDoNotOverlap) {
  Redactor r;
  auto found = r.find("a@b.io 555-0100-123 4111111111111111 x@y.org");
  ASSERT_EQ(found.size(), 4u);
  for (std::size_t i = 1; i < found.size(); ++i) EXPECT_LE(found[i - 1].end, found[i].begin);
  EXPECT_EQ(found[0].label, "[email]");
  EXPECT_EQ(found[2].label, "[card]");
  EXPECT_EQ(found[3].label, "[email]");
}

}  // namespace
}  // namespace companion::text
