// Stored events committed on a `worker` process's event path (the event
// alone: a real status change also writes the interview's row and the
// outbox in its transaction): each in its own transaction through RealtimeService::append_in (with
// the webhooks' hook that runs in every such transaction) on the app's database, and published on
// the app's pub/sub after the commit. Built from the same composition root as the binary
// (app::Components, as `worker`). The `serve` it feeds delivers them; bench/realtime/listen.mjs
// measures from the event's `at` (taken in the transaction) to receipt.
//
//   companion_event_writer RATE SECONDS USERS_FILE worker --data-dir DIR --pubsub-url URL
//
// USERS_FILE: user ids, one a line; events go to them in turn, RATE a
// second for SECONDS (paced by the clock, catching up when behind). Prints
// one JSON line: committed, seconds, the rate reached.
#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "app/components.hpp"
#include "app/settings.hpp"

extern char** environ;

int main(int argc, char** argv) {
  using namespace companion;
  if (argc < 5) {
    std::cerr << "usage: companion_event_writer RATE SECONDS USERS_FILE worker [flags…]\n";
    return 2;
  }
  const double rate = std::stod(argv[1]);
  const double seconds = std::stod(argv[2]);
  std::vector<std::string> users;
  {
    std::ifstream in(argv[3]);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) users.push_back(line);
  }
  if (users.empty() || rate <= 0 || seconds <= 0 || seconds > 300) {
    std::cerr << "companion_event_writer: need users, a rate and at most 300 s\n";
    return 2;
  }
  // The rest is the binary's own command line: `worker --data-dir …`.
  std::vector<const char*> args{argv[0]};
  for (int i = 4; i < argc; ++i) args.push_back(argv[i]);
  auto settings = app::parse_settings(static_cast<int>(args.size()), args.data(), environ);
  log::Logger logger(log::Level::kWarn, log::Format::kJson);
  app::prepare_data_dir(settings, logger);
  app::Components c(settings, logger);

  const auto total = static_cast<std::int64_t>(rate * seconds);
  const auto start = std::chrono::steady_clock::now();
  std::int64_t committed = 0;
  for (std::int64_t i = 0; i < total; ++i) {
    const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(static_cast<double>(i) / rate));
    std::this_thread::sleep_until(due);
    auto write = [&](db::Connection& conn) {
      return c.realtime.append_in(conn,
                                  {.user_id = users[static_cast<std::size_t>(i) % users.size()],
                                   .type = std::string(realtime::kInterviewStatus),
                                   .interview_id = std::nullopt,
                                   .data = {{"status", "bench"}, {"n", i}}});
    };
    if (c.database->transact(write)) ++committed;
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::cout << boost::json::serialize(boost::json::object{
                   {"committed", committed},
                   {"seconds", took.count()},
                   {"committedPerSecond", static_cast<double>(committed) / took.count()}})
            << std::endl;
  return 0;
}
