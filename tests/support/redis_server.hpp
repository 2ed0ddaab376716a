#pragma once
// A real redis-server for component tests: on a free loopback port, in a
// temporary directory, with every write appended and fsynced (so a restart
// keeps the data, as a production Redis with AOF would). Can be restarted
// in place to test a queue across a Redis restart.
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <cstdio>
#include <memory>

#include "support/databases.hpp"
#include "support/ports.hpp"

namespace companion::test_support {

class RedisServer {
 public:
  RedisServer() : port_(unused_loopback_port()) { start(); }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // redis-cli against it with `args`; its output.
  std::string cli(const std::string& args) const {
    std::string out;
    std::unique_ptr<FILE, decltype(&::pclose)> p(
        ::popen(("redis-cli -p " + std::to_string(port_) + " " + args).c_str(), "r"), ::pclose);
    char buf[256];
    while (p && std::fgets(buf, sizeof buf, p.get())) out += buf;
    return out;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    // Its own children (an AOF rewrite) are in its process group: they go
    // too, so nothing outlives the test holding its output open.
    ::kill(-pid_, SIGKILL);
    pid_ = -1;
  }
  void restart() {
    stop();
    start();
  }

 private:
  void start() {
    auto port = std::to_string(port_);
    auto dir = dir_.path().string();
    pid_ = ::fork();
    if (pid_ == 0) {
      // Dies with the test process, however that ends: an orphan would keep
      // the test's output pipe open and hang the runner.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::setpgid(0, 0);
      ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
               "--dir", dir.c_str(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
               "--loglevel", "warning", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ < 0) throw std::runtime_error("cannot start redis-server");
    // Ready once it answers PING (bounded; polling, not a fixed sleep).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start (is redis-server installed?)");
      }
      timeval tv{0, 200000};
      if (auto* c = redisConnectWithTimeout("127.0.0.1", port_, tv)) {
        bool ok = false;
        if (!c->err) {
          auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
          ok = r && r->type == REDIS_REPLY_STATUS;
          if (r) freeReplyObject(r);
        }
        redisFree(c);
        if (ok) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
    throw std::runtime_error("redis-server did not answer within 10 s");
  }

  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
};

}  // namespace companion::test_support
