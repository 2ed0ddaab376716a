#pragma once
// The HTTP/1.1 server: one io_context per thread, an acceptor handing
// connections round-robin to them, and a coroutine per connection that reads
// requests with a header deadline, a per-route body limit and an idle
// keep-alive timeout, then runs them through the pipeline in order
// (pipelined requests included).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "infra/http/pipeline.hpp"
#include "infra/log/logger.hpp"

namespace companion::http {

struct ServerSettings {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::size_t threads = 2;
  std::chrono::milliseconds header_timeout{10'000};  // whole header must arrive in this
  std::chrono::milliseconds idle_timeout{30'000};    // keep-alive wait for the next request
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds drain_timeout{10'000};
  std::size_t header_limit = 16 * 1024;
  std::size_t max_connections = 10'000;
  // Per client address (an IPv6 /64); trusted proxies are not counted.
  std::size_t max_connections_per_address = 128;
  // A streamed body (an upload) must keep up this average after the first
  // body_timeout: bytes per second; 0 turns the check off.
  std::uint64_t body_min_rate = 1024;
};

class Server {
 public:
  Server(ServerSettings settings, Pipeline& pipeline, log::Logger& logger);
  ~Server();

  // Binds and starts the threads; returns the bound endpoint.
  boost::asio::ip::tcp::endpoint start();
  // Stops accepting, lets in-flight requests finish (bounded by the drain
  // timeout), closes idle connections, then stops the threads.
  void drain();
  // Blocks until drain() has finished.
  void wait();
  bool draining() const { return draining_.load(); }
  std::size_t connections() const { return connections_.load(); }
  boost::asio::io_context& io_context(std::size_t i = 0) { return *contexts_[i]; }

 private:
  struct Connection;
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  // Writes the header, then the source's pieces; false when the connection
  // cannot be reused (error, short body, or Connection: close).
  boost::asio::awaitable<bool> write_streamed(boost::beast::tcp_stream& stream, Response& response,
                                              BodySource& source);
  // Serves requests until the connection ends; returns a connection a
  // handler took over (Request::takeover), for session() to run.
  struct Handoff;
  boost::asio::awaitable<std::unique_ptr<Handoff>> serve_connection(
      boost::beast::tcp_stream& stream, Connection& conn, const std::string& peer);

  ServerSettings settings_;
  Pipeline& pipeline_;
  log::Logger& logger_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> next_context_{0};

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Connection*> open_;
  std::unordered_map<std::string, std::size_t> per_address_;  // open connections by address_key
  bool stopped_ = false;
};

}  // namespace companion::http
