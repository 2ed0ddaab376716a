#pragma once
// A real HTTP/1.1 server for tests of outgoing HTTP: in this process, on
// 127.0.0.1 port 0, on a thread of its own. It answers from a script: each
// request takes the next Reply, and the last one repeats. A silent reply
// answers nothing and keeps the connection open until the server stops,
// which is how a test meets a deadline. What came in is recorded.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <condition_variable>
#include <initializer_list>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace companion::test_support {

struct Reply {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool silent = false;
};

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (boost::beast::iequals(n, name)) return v;
    return {};
  }
};

class ScriptedHttpServer {
 public:
  explicit ScriptedHttpServer(std::initializer_list<Reply> script)
      : script_(script), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    boost::asio::co_spawn(io_, accept(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedHttpServer() {
    io_.stop();
    thread_.join();
  }
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  std::string url(std::string_view target = "/") const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
           std::string(target);
  }
  std::size_t requests() const {
    std::lock_guard lock(mutex_);
    return received_.size();
  }
  std::vector<ReceivedRequest> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Blocks until `n` requests have come in (no polling).
  void wait_for_requests(std::size_t n) const {
    std::unique_lock lock(mutex_);
    arrived_.wait(lock, [&] { return received_.size() >= n; });
  }

 private:
  using tcp = boost::asio::ip::tcp;

  boost::asio::awaitable<void> accept() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(boost::asio::use_awaitable);
      boost::asio::co_spawn(io_, serve(std::move(socket)), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> serve(tcp::socket socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    try {
      for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(64 << 20);
        co_await http::async_read_header(socket, buffer, parser, boost::asio::use_awaitable);
        if (boost::beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> go_on{http::status::continue_, 11};
          co_await http::async_write(socket, go_on, boost::asio::use_awaitable);
        }
        co_await http::async_read(socket, buffer, parser, boost::asio::use_awaitable);
        auto req = parser.release();
        Reply reply = record(req);
        if (reply.silent) {  // until the server stops
          boost::asio::steady_timer forever(io_, boost::asio::steady_timer::time_point::max());
          co_await forever.async_wait(boost::asio::use_awaitable);
        }
        http::response<http::string_body> res{static_cast<http::status>(reply.status),
                                              req.version()};
        for (const auto& [name, value] : reply.headers) res.set(name, value);
        res.body() = reply.body;
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        co_await http::async_write(socket, res, boost::asio::use_awaitable);
        if (!req.keep_alive()) co_return;
      }
    } catch (const boost::system::system_error&) {
      // The client went away.
    }
  }

  Reply record(const boost::beast::http::request<boost::beast::http::string_body>& req) {
    ReceivedRequest r{std::string(req.method_string()), std::string(req.target()), {}, req.body()};
    for (const auto& field : req) r.headers.emplace_back(field.name_string(), field.value());
    std::lock_guard lock(mutex_);
    received_.push_back(std::move(r));
    arrived_.notify_all();
    return script_[std::min(received_.size(), script_.size()) - 1];
  }

  const std::vector<Reply> script_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<ReceivedRequest> received_;
  std::thread thread_;
};

}  // namespace companion::test_support
