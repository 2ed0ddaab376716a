#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "infra/config/parse.hpp"

namespace companion::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseListen, HostAndPort) {
  auto hp = parse_listen("127.0.0.1:8080");
  EXPECT_EQ(hp.host, "127.0.0.1");
  EXPECT_EQ(hp.port, 8080);
  hp = parse_listen("0.0.0.0:80");
  EXPECT_EQ(hp.host, "0.0.0.0");
  EXPECT_EQ(hp.port, 80);
  hp = parse_listen("10.1.2.3:65535");
  EXPECT_EQ(hp.port, 65535);
}

TEST(ParseListen, PortZeroMeansAnyFreePort) {
  auto hp = parse_listen("127.0.0.1:0");
  EXPECT_EQ(hp.host, "127.0.0.1");
  EXPECT_EQ(hp.port, 0);
}

TEST(ParseListen, BracketedIpv6) {
  auto hp = parse_listen("[::1]:0");
  EXPECT_EQ(hp.host, "::1");
  EXPECT_EQ(hp.port, 0);
  hp = parse_listen("[::]:8443");
  EXPECT_EQ(hp.host, "::");
  EXPECT_EQ(hp.port, 8443);
  hp = parse_listen("[fe80::1:2]:9000");
  EXPECT_EQ(hp.host, "fe80::1:2");
  EXPECT_EQ(hp.port, 9000);
}

TEST(ParseListen, LocalhostIsTheIpv4Loopback) {
  auto hp = parse_listen("localhost:3000");
  EXPECT_EQ(hp.host, "127.0.0.1");
  EXPECT_EQ(hp.port, 3000);
}

TEST(ParseListen, RejectsBadPortsAndShapes) {
  for (const char* text :
       {"127.0.0.1", "127.0.0.1:", ":8080", "127.0.0.1:65536", "127.0.0.1:99999999999",
        "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80a", "127.0.0.1:8 0", "127.0.0.1: 80",
        "127.0.0.1:http", "[::1]", ""}) {
    EXPECT_THROW(parse_listen(text), std::invalid_argument) << text;
  }
}

TEST(ParseListen, MessageNamesTheProblem) {
  try {
    parse_listen("127.0.0.1:70000");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("70000"), std::string::npos) << e.what();
  }
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("10s"), milliseconds(10'000));
  EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("720h"), milliseconds(2'592'000'000LL));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  EXPECT_EQ(parse_duration("0ms"), milliseconds(0));
}

TEST(ParseDuration, Fractions) {
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("0.25h"), milliseconds(900'000));
  EXPECT_EQ(parse_duration("2.5m"), milliseconds(150'000));
}

TEST(ParseDuration, RejectsMissingOrUnknownUnitsAndJunk) {
  for (const char* text : {"", "10", "s", "ms", "-1s", "+1s", "10x", "10 s", "10S", "10sec", "1d",
                           "1..5s", "1.2.3s", ".s", "s10", "ten seconds", "10s "}) {
    EXPECT_THROW(parse_duration(text), std::invalid_argument) << text;
  }
}

// Found by fuzz_settings (fuzz/corpus/settings/env-huge-duration): a value
// past what a long long holds was cast anyway (undefined behaviour).
TEST(ParseDuration, RejectsMoreThanAHundredYears) {
  EXPECT_EQ(parse_duration("876000h"), milliseconds(3'153'600'000'000LL));
  for (const char* text :
       {"876000.001h", "99999999999999999999999h", "1e400ms", "9223372036854775808ms"}) {
    EXPECT_THROW(parse_duration(text), std::invalid_argument) << text;
  }
}

TEST(ParseRate, RateAndBurst) {
  auto [rate, burst] = parse_rate("100/200");
  EXPECT_DOUBLE_EQ(rate, 100);
  EXPECT_DOUBLE_EQ(burst, 200);
  auto [r2, b2] = parse_rate("0.2/10");
  EXPECT_DOUBLE_EQ(r2, 0.2);
  EXPECT_DOUBLE_EQ(b2, 10);
  auto [r3, b3] = parse_rate("5/1");
  EXPECT_DOUBLE_EQ(r3, 5);
  EXPECT_DOUBLE_EQ(b3, 1);
}

TEST(ParseRate, OffAndZeroDisable) {
  for (const char* text : {"off", "0"}) {
    auto [rate, burst] = parse_rate(text);
    EXPECT_EQ(rate, 0) << text;
    EXPECT_EQ(burst, 0) << text;
  }
}

TEST(ParseRate, RejectsMalformedRates) {
  for (const char* text : {"", "100", "100/", "/200", "abc/def", "-1/10", "10/-1", "10/0", "10/0.5",
                           "100/200/300", "1 00/200", "OFF", "no", "100:200"}) {
    EXPECT_THROW(parse_rate(text), std::invalid_argument) << text;
  }
}

TEST(ParseRate, RejectsNonFiniteNumbers) {
  // std::from_chars reads "nan" and "inf"; neither is a rate. A NaN rate
  // would silently disable the limiter, a NaN burst would refuse everything.
  for (const char* text : {"nan/10", "10/nan", "NAN/10", "inf/10", "10/inf", "infinity/5"}) {
    EXPECT_THROW(parse_rate(text), std::invalid_argument) << text;
  }
}

TEST(ParseBool, AcceptedSpellings) {
  for (const char* t : {"true", "1", "yes", "on"}) EXPECT_TRUE(parse_bool(t)) << t;
  for (const char* t : {"false", "0", "no", "off"}) EXPECT_FALSE(parse_bool(t)) << t;
}

TEST(ParseBool, RejectsEverythingElse) {
  for (const char* t : {"", "2", "maybe", "y", "n", "truee", " true", "t", "-1"}) {
    EXPECT_THROW(parse_bool(t), std::invalid_argument) << t;
  }
}

TEST(PlainHttpOffThisHost, PlainHttpToAnotherHostWarns) {
  EXPECT_TRUE(plain_http_off_this_host("http://asr.example.com/v1"));
  EXPECT_TRUE(plain_http_off_this_host("HTTP://asr.example.com"));
  EXPECT_TRUE(plain_http_off_this_host("http://10.0.0.5:9000"));
  EXPECT_TRUE(plain_http_off_this_host("http://[2001:db8::1]:9000"));
  EXPECT_TRUE(plain_http_off_this_host("http://128.0.0.1"));
  EXPECT_TRUE(plain_http_off_this_host("http://localhost.example.com"));
  EXPECT_TRUE(plain_http_off_this_host("http://[::ffff:10.1.2.3]"));
}

TEST(PlainHttpOffThisHost, LoopbackTlsAndNonsenseDoNot) {
  for (const char* url :
       {"http://127.0.0.1:9000", "http://127.45.6.7/x", "http://[::1]:8080/v1", "http://localhost",
        "http://LOCALHOST:80", "http://localhost./v1", "http://[::ffff:127.0.0.1]",
        "https://asr.example.com", "https://10.0.0.5", "not a url", ""})
    EXPECT_FALSE(plain_http_off_this_host(url)) << url;
}

}  // namespace
}  // namespace companion::config
