#include "infra/http/response_head.hpp"

#include <gtest/gtest.h>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <sstream>

namespace companion::http {
namespace {

// What Beast's own serializer writes for the message.
std::string beast_bytes(Response response) {
  std::ostringstream out;
  out << response;
  return out.str();
}

std::string ours(const Response& response) {
  std::string out;
  append_response_head(response, out);
  return out + response.body();
}

TEST(ResponseHead, MatchesBeastForAJsonAnswer) {
  auto res = json_response(Status::ok, {{"status", "ok"}});
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Request-Id", "abc");
  res.keep_alive(true);
  EXPECT_EQ(ours(res), beast_bytes(res));
}

TEST(ResponseHead, MatchesBeastForConnectionCloseAndRepeatedFields) {
  Response res{Status::too_many_requests, 11};
  res.insert("Vary", "Origin");
  res.insert("Vary", "Accept");
  res.set("Retry-After", "3");
  res.set("Custom-Name", "");
  res.body() = R"({"title":"Too Many Requests"})";
  res.prepare_payload();
  res.keep_alive(false);
  EXPECT_EQ(ours(res), beast_bytes(res));
  EXPECT_NE(ours(res).find("Connection: close\r\n"), std::string::npos);
}

TEST(ResponseHead, MatchesBeastForHttp10AndACustomReason) {
  Response res{Status::ok, 10};
  res.reason("Fine");
  res.body() = "x";
  res.prepare_payload();
  res.keep_alive(true);
  EXPECT_EQ(ours(res), beast_bytes(res));
  EXPECT_EQ(ours(res).rfind("HTTP/1.0 200 Fine\r\n", 0), 0u);
}

TEST(ResponseHead, MatchesBeastForAnEmptyBodyAndAnUnknownStatus) {
  Response res{static_cast<Status>(299), 11};
  res.prepare_payload();
  EXPECT_EQ(ours(res), beast_bytes(res));
  Response none{Status::no_content, 11};
  none.prepare_payload();
  EXPECT_EQ(ours(none), beast_bytes(none));
}

TEST(ResponseHead, ChunkedResponsesAreLeftToBeast) {
  Response res{Status::ok, 11};
  res.chunked(true);
  EXPECT_FALSE(writes_plainly(res));
  EXPECT_TRUE(writes_plainly(json_response(Status::ok, {{"a", 1}})));
}

}  // namespace
}  // namespace companion::http
