#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <thread>

#include "infra/http/pipeline.hpp"

namespace companion::http {
namespace {

TEST(RequestId, AcceptsTheDocumentedAlphabet) {
  EXPECT_TRUE(is_sane_request_id("a"));
  EXPECT_TRUE(is_sane_request_id("abc-123"));
  EXPECT_TRUE(is_sane_request_id("ABCxyz0189"));
  EXPECT_TRUE(is_sane_request_id("a.b_c:d@e+f=g/h-i"));
  EXPECT_TRUE(is_sane_request_id("01890a5d-ac96-774b-bcce-b302099a8057"));
  EXPECT_TRUE(is_sane_request_id("dGVzdA=="));  // base64 with padding
}

TEST(RequestId, LengthIsOneTo128) {
  EXPECT_FALSE(is_sane_request_id(""));
  EXPECT_TRUE(is_sane_request_id(std::string(128, 'x')));
  EXPECT_FALSE(is_sane_request_id(std::string(129, 'x')));
  EXPECT_FALSE(is_sane_request_id(std::string(10'000, 'x')));
}

TEST(RequestId, RejectsEveryOtherCharacter) {
  const std::string allowed_punctuation = "._:@+=/-";
  for (int c = 0; c < 256; ++c) {
    bool expected = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    allowed_punctuation.find(static_cast<char>(c)) != std::string::npos;
    std::string id = "req" + std::string(1, static_cast<char>(c)) + "id";
    EXPECT_EQ(is_sane_request_id(id), expected) << "byte " << c;
  }
}

TEST(RequestId, RejectsHeaderAndLogInjection) {
  EXPECT_FALSE(is_sane_request_id("abc\r\nSet-Cookie: x=1"));
  EXPECT_FALSE(is_sane_request_id("abc\ndef"));
  EXPECT_FALSE(is_sane_request_id("{\"level\":\"error\"}"));
  EXPECT_FALSE(is_sane_request_id("id with spaces"));
  EXPECT_FALSE(is_sane_request_id("caf\xC3\xA9"));
  EXPECT_FALSE(is_sane_request_id(std::string("a\0b", 3)));
}

TEST(RequestId, NewIdsAreSixteenBase64urlCharactersAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    auto id = new_request_id();
    ASSERT_EQ(id.size(), 16u) << id;
    for (unsigned char c : id) ASSERT_TRUE(std::isalnum(c) || c == '-' || c == '_') << id;
    ASSERT_TRUE(is_sane_request_id(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10'000u);
}

TEST(RequestId, EachThreadHasItsOwnPrefix) {
  std::string here = new_request_id();
  std::string there;
  std::thread([&] { there = new_request_id(); }).join();
  EXPECT_NE(here.substr(0, 8), there.substr(0, 8));
}

}  // namespace
}  // namespace companion::http
