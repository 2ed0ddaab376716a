#include "infra/log/logger.hpp"

#include <gtest/gtest.h>

namespace companion::log {
namespace {

TEST(LogTextValue, PlainValuesStayBare) {
  EXPECT_EQ(text_value("/v1/interviews"), "/v1/interviews");
  EXPECT_EQ(text_value("200"), "200");
}

TEST(LogTextValue, ControlCharactersCannotStartANewLine) {
  auto v = text_value("/x\n2026-01-01T00:00:00.000Z info request status=200\r");
  EXPECT_EQ(v.find('\n'), std::string::npos);
  EXPECT_EQ(v.find('\r'), std::string::npos);
  EXPECT_EQ(v, R"("/x\n2026-01-01T00:00:00.000Z info request status=200\r")");
}

TEST(LogTextValue, SpacesAndEqualsAreQuotedSoNoFieldCanBeForged) {
  EXPECT_EQ(text_value("/a userId=admin"), R"("/a userId=admin")");
  EXPECT_EQ(text_value(R"(say "hi" \ bye)"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(text_value(""), R"("")");
}

TEST(LogTextValue, OtherControlBytesAreHexEscaped) {
  EXPECT_EQ(text_value(std::string("a\x1b[2Jb\x7f", 7)), R"("a\x1b[2Jb\x7f")");
  EXPECT_EQ(text_value(std::string("\0", 1)), R"("\x00")");
}

}  // namespace
}  // namespace companion::log
