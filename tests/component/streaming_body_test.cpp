// Streamed request bodies through the real Server and Pipeline over a
// loopback socket: a route with streaming_body reads the body piece by
// piece, with the route's limit, 100-continue sent only when the handler
// asks for the body, and the connection closed when a body is left unread.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <span>
#include <string>
#include <thread>

#include "infra/crypto/encoding.hpp"
#include "infra/http/pipeline.hpp"
#include "infra/http/server.hpp"

namespace companion::http {
namespace {

namespace net = boost::asio;
using namespace std::string_literals;
using tcp = net::ip::tcp;

class NoAuth final : public Authenticator {
 public:
  net::awaitable<std::optional<Caller>> authenticate(std::string_view token) override {
    if (token == "ok") co_return Caller{"user-1", "session-1"};
    co_return std::nullopt;
  }
};

class NoIdempotency final : public IdempotencyStore {
 public:
  net::awaitable<Begin> begin(std::string, std::string, std::string) override {
    co_return Begin{Outcome::kStarted, {}};
  }
  net::awaitable<void> complete(std::string, std::string, Stored) override { co_return; }
  net::awaitable<void> abandon(std::string, std::string) override { co_return; }
};

class StreamingBody : public ::testing::Test {
 protected:
  void SetUp() override {
    // Echoes the SHA-256 and size of the body, read piece by piece into
    // three spans of odd sizes (filled in order); counts the pieces so the
    // test can see that the body was not read at once.
    router_.add(Verb::put, "/upload", {.body_limit = 4 * 1024 * 1024, .streaming_body = true},
                [this](Request& req) -> net::awaitable<Response> {
                  std::string all;
                  int pieces = 0;
                  std::string a(1000, '\0'), b(70'001, '\0'), c(100'000, '\0');
                  const std::span<char> spans[] = {a, b, c};
                  for (;;) {
                    auto n = co_await req.body->read(spans);
                    if (n == 0) break;
                    ++pieces;
                    largest_piece_ = std::max(largest_piece_, n);
                    for (auto span : spans) {
                      auto take = std::min(n, span.size());
                      all.append(span.data(), take);
                      n -= take;
                    }
                  }
                  co_return json_response(Status::ok,
                                          {{"size", all.size()},
                                           {"sha256", crypto::hex_encode(crypto::sha256(all))},
                                           {"pieces", pieces}});
                });
    // Refuses without reading the body.
    router_.add(Verb::put, "/refuse", {.body_limit = 4 * 1024 * 1024, .streaming_body = true},
                [](Request&) -> net::awaitable<Response> {
                  throw Conflict("not now");
                  co_return Response{};
                });
    PipelineSettings ps;
    ps.per_ip = {};
    ps.per_user = {};
    ps.access_log = false;
    pipeline_ = std::make_unique<Pipeline>(ps, router_, auth_, idempotency_, logger_, metrics_);
    ServerSettings ss;
    ss.port = 0;
    ss.threads = 1;
    ss.body_timeout = std::chrono::milliseconds(2000);
    server_ = std::make_unique<Server>(ss, *pipeline_, logger_);
    endpoint_ = server_->start();
  }
  void TearDown() override { server_->drain(); }

  // Sends raw bytes, returns everything the server answers until it closes
  // or `until` appears (then reads the rest of that response's body).
  std::string exchange(const std::string& request, std::size_t wait_for_responses = 1) {
    net::io_context io;
    tcp::socket s(io);
    s.connect(endpoint_);
    net::write(s, net::buffer(request));
    std::string got;
    char buf[8192];
    boost::system::error_code ec;
    while (true) {
      std::size_t complete = 0;
      for (std::size_t pos = 0; (pos = got.find("\r\n\r\n", pos)) != std::string::npos; pos += 4) {
        auto hs = got.rfind("HTTP/1.1 ", pos);
        auto cl = got.find("Content-Length: ", hs);
        if (cl == std::string::npos || cl > pos) continue;
        auto len = std::stoul(got.substr(cl + 16));
        if (got.size() >= pos + 4 + len && got.compare(hs + 9, 3, "100") != 0) ++complete;
      }
      if (complete >= wait_for_responses) break;
      auto n = s.read_some(net::buffer(buf), ec);
      if (ec) break;
      got.append(buf, n);
    }
    return got;
  }

  NoAuth auth_;
  NoIdempotency idempotency_;
  log::Logger logger_{log::Level::kOff, log::Format::kJson};
  metrics::Registry metrics_;
  Router router_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<Server> server_;
  tcp::endpoint endpoint_;
  std::size_t largest_piece_ = 0;
};

TEST_F(StreamingBody, ContentLengthBodyArrivesInBoundedPiecesIntact) {
  auto body = crypto::random_bytes(1'000'003);
  auto answer = exchange(
      "PUT /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_NE(answer.find("HTTP/1.1 200 "), std::string::npos) << answer.substr(0, 300);
  EXPECT_NE(answer.find("\"size\":1000003"), std::string::npos);
  EXPECT_NE(answer.find(crypto::hex_encode(crypto::sha256(body))), std::string::npos);
  EXPECT_LE(largest_piece_, 171'001u);  // never more than the spans hold
}

TEST_F(StreamingBody, ChunkedBodyIsDecoded) {
  std::string req =
      "PUT /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  std::string body;
  for (int i = 0; i < 20; ++i) {
    auto part = crypto::random_bytes(10'000 + i);
    body += part;
    std::ostringstream size;
    size << std::hex << part.size();
    req += size.str() + "\r\n" + part + "\r\n";
  }
  req += "0\r\n\r\n";
  auto answer = exchange(req);
  ASSERT_NE(answer.find("HTTP/1.1 200 "), std::string::npos) << answer.substr(0, 300);
  EXPECT_NE(answer.find(crypto::hex_encode(crypto::sha256(body))), std::string::npos);
}

TEST_F(StreamingBody, OverTheRouteLimitIs413BothDeclaredAndCounted) {
  auto declared = exchange(
      "PUT /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
      "Content-Length: 5000000\r\n\r\n");
  EXPECT_NE(declared.find("HTTP/1.1 413 "), std::string::npos) << declared.substr(0, 200);
  // Chunked: only counting can tell.
  std::string req =
      "PUT /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  std::string part(1024 * 1024, 'a');
  for (int i = 0; i < 5; ++i) req += "100000\r\n" + part + "\r\n";
  req += "0\r\n\r\n";
  auto counted = exchange(req);
  EXPECT_NE(counted.find("HTTP/1.1 413 "), std::string::npos) << counted.substr(0, 200);
}

TEST_F(StreamingBody, ContinueIsSentOnlyWhenTheHandlerReadsTheBody) {
  auto refused = exchange(
      "PUT /refuse HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
      "Content-Length: 10\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(refused.find("100 Continue"), std::string::npos);
  EXPECT_NE(refused.find("HTTP/1.1 409 "), std::string::npos) << refused;
  EXPECT_NE(refused.find("Connection: close"), std::string::npos) << refused;

  auto unauthenticated = exchange(
      "PUT /upload HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: 10\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(unauthenticated.find("100 Continue"), std::string::npos);
  EXPECT_NE(unauthenticated.find("HTTP/1.1 401 "), std::string::npos);

  auto accepted = exchange(
      "PUT /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
      "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhello");
  EXPECT_EQ(accepted.find("HTTP/1.1 100 Continue\r\n\r\n"), 0u) << accepted;
  EXPECT_NE(accepted.find("HTTP/1.1 200 "), std::string::npos);
}

TEST_F(StreamingBody, KeepAliveContinuesAfterAFullyReadBody) {
  std::string one =
      "PUT /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
      "Content-Length: 3\r\n\r\nabc";
  auto answer = exchange(one + one, 2);
  auto first = answer.find("HTTP/1.1 200 ");
  ASSERT_NE(first, std::string::npos) << answer;
  EXPECT_NE(answer.find("HTTP/1.1 200 ", first + 1), std::string::npos) << answer;
}

// A client slower than the socket's low-water mark (the reader waits for
// 512 KiB at a time from a fast one) is read as it sends: its body takes
// longer than the 2 s read deadline in all, but no read waits that long.
TEST_F(StreamingBody, ASlowButSteadyBodyIsReadAsItArrives) {
  auto body = crypto::random_bytes(6000);
  net::io_context io;
  tcp::socket s(io);
  s.connect(endpoint_);
  net::write(s, net::buffer("PUT /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
                            "Content-Length: 6000\r\n\r\n"s));
  for (std::size_t off = 0; off < body.size(); off += 1000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(450));  // the client's pace
    net::write(s, net::buffer(body.data() + off, 1000));
  }
  std::string answer;
  char buf[4096];
  boost::system::error_code ec;
  while (answer.find("\"pieces\"") == std::string::npos) {
    auto n = s.read_some(net::buffer(buf), ec);
    if (ec) break;
    answer.append(buf, n);
  }
  ASSERT_NE(answer.find("HTTP/1.1 200 "), std::string::npos) << answer.substr(0, 300);
  EXPECT_NE(answer.find(crypto::hex_encode(crypto::sha256(body))), std::string::npos);
}

TEST_F(StreamingBody, ABodyThatStopsArrivingIsCutOffAtTheDeadline) {
  // Beast closes a timed-out stream, so the client sees the connection end
  // (within the 2 s body deadline) and no success.
  auto start = std::chrono::steady_clock::now();
  auto answer = exchange(
      "PUT /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
      "Content-Length: 100\r\n\r\nonly part");
  EXPECT_EQ(answer.find("HTTP/1.1 200 "), std::string::npos) << answer.substr(0, 300);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace companion::http
