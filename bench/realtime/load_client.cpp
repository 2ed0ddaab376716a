// The client side of bench/realtime in C++ (Beast, one I/O thread), the
// same for every server: the workload of load.mjs at a fraction of its CPU,
// so that on a small machine the client is not what queues the events.
// Opens PER_USER authenticated connections for each user, measures the
// server's resident memory idle and with them open, then publishes
// progress events to the Redis channel every server follows (as the
// product's workers do) at RATE a second for SECONDS, each to one user,
// and measures publish-to-receipt latency over every connection of that
// user (one clock: the publish time travels in the event).
//   companion_realtime_load TARGET URL TOKENS_FILE PER_USER SERVER_PID REDIS_URL RATE SECONDS
// TARGET: ours | ws (a WebSocket speaking the product's JSON) | socketio
// (Engine.IO 4 over a WebSocket: open packet, "40" connect with the token,
// "42" events, "2" pings answered "3"). Prints one JSON line, as load.mjs.
#include <hiredis/hiredis.h>
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

double wall_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

long rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

long cpu_ticks(int pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 1; in >> field; ++i) {
    if (i == 12) utime = std::stol(field);
    if (i == 13) {
      stime = std::stol(field);
      break;
    }
  }
  return utime + stime;
}

double own_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Run {
  std::string target, host, port, path;
  std::vector<double> latencies;  // on the I/O thread only
  std::size_t ready = 0, failed = 0;
};

// The publish time in a message: the number after "sent" (escaped inside
// Socket.IO's string argument, plain in the others).
void record(Run& run, std::string_view text) {
  auto at = text.find("sent");
  if (at == std::string_view::npos) return;
  at += 4;
  while (at < text.size() && (text[at] < '0' || text[at] > '9')) ++at;
  const double sent = std::strtod(text.data() + at, nullptr);
  run.latencies.push_back(wall_ms() - sent);
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& io, Run& run, std::string token)
      : ws_(io), run_(run), token_(std::move(token)) {}

  void start(const tcp::resolver::results_type& endpoints) {
    net::async_connect(ws_.next_layer(), endpoints,
                       [self = shared_from_this()](boost::system::error_code ec, auto) {
                         if (ec) return self->fail();
                         self->ws_.next_layer().set_option(tcp::no_delay(true));
                         self->handshake();
                       });
  }

 private:
  void handshake() {
    std::string path = run_.path;
    if (run_.target == "socketio") path = "/socket.io/?EIO=4&transport=websocket";
    ws_.set_option(websocket::stream_base::decorator([this](websocket::request_type& req) {
      if (run_.target != "socketio") req.set(beast::http::field::authorization, "Bearer " + token_);
    }));
    ws_.async_handshake(run_.host + ":" + run_.port, path,
                        [self = shared_from_this()](boost::system::error_code ec) {
                          if (ec) return self->fail();
                          if (self->run_.target != "socketio")
                            self->send(R"({"type":"subscribe","interviewId":null})");
                          self->read();
                        });
  }

  void send(std::string text) {
    outbox_.push_back(std::move(text));
    if (outbox_.size() == 1) write();
  }
  void write() {
    ws_.async_write(net::buffer(outbox_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      if (ec) return;
                      self->outbox_.erase(self->outbox_.begin());
                      if (!self->outbox_.empty()) self->write();
                    });
  }

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) {
        if (!self->ready_) self->fail();
        return;
      }
      std::string_view text(static_cast<const char*>(self->buffer_.data().data()),
                            self->buffer_.size());
      self->on_message(text);
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  void on_message(std::string_view text) {
    if (run_.target == "socketio") {
      if (text == "2") return send("3");                                           // ping
      if (text.starts_with("0")) return send(R"(40{"token":")" + token_ + "\"}");  // open
      if (text.starts_with("40")) return mark_ready();                             // connected
      if (text.starts_with("44")) return fail();                                   // refused
      if (text.starts_with("42")) record(run_, text);
      return;
    }
    if (!ready_) return mark_ready();  // "subscribed"
    record(run_, text);
  }

  void mark_ready() {
    if (ready_) return;
    ready_ = true;
    ++run_.ready;
  }
  void fail() {
    ++run_.failed;
    ready_ = true;  // counted once
  }

  websocket::stream<tcp::socket> ws_;
  Run& run_;
  std::string token_;
  beast::flat_buffer buffer_;
  std::vector<std::string> outbox_;
  bool ready_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) {
    std::cerr << "usage: companion_realtime_load TARGET URL TOKENS_FILE PER_USER SERVER_PID "
                 "REDIS_URL RATE SECONDS\n";
    return 2;
  }
  Run run;
  run.target = argv[1];
  auto url = boost::urls::parse_uri(argv[2]).value();
  run.host = url.host();
  run.port = url.port();
  run.path = url.path().empty() ? "/" : std::string(url.path());
  const auto tokens = boost::json::parse(read_file(argv[3])).as_array();
  const int per_user = std::atoi(argv[4]);
  const int pid = std::atoi(argv[5]);
  auto redis_url = boost::urls::parse_uri(argv[6]).value();
  const int rate = std::atoi(argv[7]);
  const int seconds = std::atoi(argv[8]);
  if (per_user <= 0 || tokens.size() * static_cast<std::size_t>(per_user) > 20000 || rate < 0 ||
      rate > 100000 || seconds > 120) {
    std::cerr << "at most 20,000 connections, 100,000 events/s and 120 s\n";
    return 2;
  }

  net::io_context io(1);
  auto work = net::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  auto on_io = [&](auto fn) {
    std::promise<void> done;
    net::post(io, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  };
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(run.host, run.port);

  const long idle = rss_kb(pid);
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<Connection>> connections;
  std::size_t opened = 0;
  // 250 handshakes at a time, as load.mjs.
  for (const auto& t : tokens) {
    const std::string token(t.as_object().at("token").as_string());
    for (int i = 0; i < per_user; ++i) {
      auto c = std::make_shared<Connection>(io, run, token);
      connections.push_back(c);
      on_io([&] { c->start(endpoints); });
      if (++opened % 250 == 0)
        for (;;) {
          std::size_t done = 0;
          on_io([&] { done = run.ready + run.failed; });
          if (done >= opened) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
  }
  for (;;) {
    std::size_t done = 0;
    on_io([&] { done = run.ready + run.failed; });
    if (done >= opened) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double connect_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long connected = rss_kb(pid);

  // Publishing, on this thread: keep up with the clock.
  redisContext* redis = redisConnect(std::string(redis_url.host()).c_str(),
                                     std::atoi(std::string(redis_url.port()).c_str()));
  if (!redis || redis->err) {
    std::cerr << "redis: cannot connect\n";
    return 1;
  }
  const long total = static_cast<long>(rate) * seconds;
  long sent = 0, max_rss = connected;
  const long cpu_before = cpu_ticks(pid);
  const double own_before = own_cpu_seconds();
  const auto begin = std::chrono::steady_clock::now();
  while (sent < total) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    const long due = std::min(total, static_cast<long>(elapsed * rate));
    long batch = 0;
    for (; sent < due; ++sent, ++batch) {
      const auto& user = tokens[static_cast<std::size_t>(sent) % tokens.size()].as_object();
      boost::json::object m{
          {"k", "e"},
          {"u", user.at("user")},
          {"t", "interview.progress"},
          {"i", "01934f6e-8a4b-7c3d-9e2f-1a2b3c4d5e6f"},
          {"d", {{"stage", "transcribe"}, {"percent", sent % 100}, {"sent", wall_ms()}}},
          {"a", static_cast<std::int64_t>(wall_ms())}};
      const auto text = boost::json::serialize(m);
      redisAppendCommand(redis, "PUBLISH ic:events %b", text.data(), text.size());
    }
    for (long i = 0; i < batch; ++i) {
      void* reply = nullptr;
      if (redisGetReply(redis, &reply) != REDIS_OK) return 1;
      freeReplyObject(reply);
    }
    max_rss = std::max(max_rss, rss_kb(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const long expected = total * per_user;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::size_t received = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    on_io([&] { received = run.latencies.size(); });
    if (static_cast<long>(received) >= expected) break;
    max_rss = std::max(max_rss, rss_kb(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const long after = rss_kb(pid);
  const double cpu_seconds = static_cast<double>(cpu_ticks(pid) - cpu_before) / 100.0;
  const double own_seconds = own_cpu_seconds() - own_before;
  std::vector<double> latencies;
  on_io([&] { latencies = run.latencies; });
  std::sort(latencies.begin(), latencies.end());
  auto q = [&](double p) -> boost::json::value {
    if (latencies.empty()) return nullptr;
    auto i = std::min(latencies.size() - 1, static_cast<std::size_t>(p * latencies.size()));
    return std::round(latencies[i] * 100) / 100;
  };
  auto round2 = [](double v) { return std::round(v * 100) / 100; };
  boost::json::object out{
      {"target", run.target},
      {"client", "c++"},
      {"connections", run.ready},
      {"failed", run.failed},
      {"connectSeconds", round2(connect_seconds)},
      {"idleRssMiB", round2(idle / 1024.0)},
      {"connectedRssMiB", round2(connected / 1024.0)},
      {"perConnectionKiB", round2(static_cast<double>(connected - idle) /
                                  static_cast<double>(std::max<std::size_t>(run.ready, 1)))},
      {"ratePerSecond", rate * per_user},
      {"expected", expected},
      {"received", latencies.size()},
      {"p50ms", q(0.5)},
      {"p99ms", q(0.99)},
      {"maxMs", q(1)},
      {"peakRssMiB", round2(max_rss / 1024.0)},
      {"afterRssMiB", round2(after / 1024.0)},
      {"serverCpuSeconds", cpu_seconds},
      {"clientCpuSeconds", round2(own_seconds)},
      {"cpuMicrosPerDelivery",
       round2(cpu_seconds * 1e6 / static_cast<double>(std::max<std::size_t>(latencies.size(), 1)))},
  };
  // One line as load.mjs prints it: numbers in plain decimals (Boost.JSON
  // writes doubles in exponent form).
  std::string line = "{";
  for (const auto& [key, value] : out) {
    if (line.size() > 1) line += ',';
    line += boost::json::serialize(boost::json::value(key)) + ':';
    if (value.is_double()) {
      char number[64];
      std::snprintf(number, sizeof number, "%.2f", value.get_double());
      std::string text(number);
      while (text.back() == '0') text.pop_back();
      if (text.back() == '.') text.pop_back();
      line += text;
    } else {
      line += boost::json::serialize(value);
    }
  }
  std::cout << line << "}" << std::endl;
  redisFree(redis);
  // The sockets go with the process.
  std::_Exit(0);
}
