#pragma once
// A fake of a third-party HTTP service (tests/fakes/*.py) in a child
// process: it prints "PORT <n>" once listening, answers GET /stats with
// {"requests": {model: count}, ...}, and dies with the test.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "support/repository.hpp"

namespace companion::test_support {

class FakeService {
 public:
  // `script`: under tests/fakes/.
  explicit FakeService(const std::string& script_name) {
    auto script = repository_root() / "tests/fakes" / script_name;
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::execlp("python3", "python3", script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    FILE* f = ::fdopen(out[0], "r");
    char line[64] = {};
    if (!std::fgets(line, sizeof line, f) || std::sscanf(line, "PORT %d", &port_) != 1)
      throw std::runtime_error("the fake service " + script_name + " did not start");
    std::fclose(f);
  }
  ~FakeService() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  FakeService(const FakeService&) = delete;
  FakeService& operator=(const FakeService&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // GET /stats.
  boost::json::object stats() const {
    std::unique_ptr<FILE, decltype(&::pclose)> p(
        ::popen(("curl -fsS " + url() + "/stats").c_str(), "r"), ::pclose);
    std::string body;
    char buf[512];
    while (p && std::fgets(buf, sizeof buf, p.get())) body += buf;
    return boost::json::parse(body).as_object();
  }
  // How many requests for `model` have reached the service.
  int requests(const std::string& model) const {
    const auto* counts = stats().at("requests").as_object().if_contains(model);
    return counts ? static_cast<int>(counts->as_int64()) : 0;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace companion::test_support
