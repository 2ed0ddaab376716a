#pragma once
// Concurrency tests: N threads released at the same instant, each running
// one attempt; the test then counts who won and who was refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace companion::test_support {

// Runs attempt(i) on `clients` threads started together. An attempt that
// returns counts as a win; one that throws `Refused` as a refusal; any other
// exception fails the test. Expects exactly one winner.
template <class Refused>
void expect_exactly_one_wins(int clients, const std::function<void(int)>& attempt) {
  std::vector<int> outcome(clients, -1);  // 1 won, 0 refused
  std::vector<std::string> failures(clients);
  std::latch start(clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        attempt(i);
        outcome[i] = 1;
      } catch (const Refused&) {
        outcome[i] = 0;
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
  EXPECT_EQ(std::count(outcome.begin(), outcome.end(), 1), 1);
  EXPECT_EQ(std::count(outcome.begin(), outcome.end(), 0), clients - 1);
}

}  // namespace companion::test_support
