#pragma once
// A fixed set of connections handed out one thread at a time; waiting for
// one is bounded by a timeout.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "infra/db/database.hpp"

namespace companion::db {

class ConnectionPool {
 public:
  using Factory = std::function<std::unique_ptr<Connection>()>;

  ConnectionPool(std::size_t size, Factory factory, std::chrono::milliseconds timeout)
      : factory_(std::move(factory)), timeout_(timeout), size_(size) {}

  Database::Lease acquire() {
    std::unique_lock lock(mutex_);
    if (free_.empty() && created_ < size_) {
      ++created_;
      lock.unlock();
      try {
        auto conn = factory_();
        lock.lock();
        all_.push_back(std::move(conn));
        ++in_use_;
        return lease(all_.back().get());
      } catch (...) {
        lock.lock();
        --created_;
        throw;
      }
    }
    if (!available_.wait_for(lock, timeout_, [&] { return !free_.empty(); }))
      throw Error(ErrorKind::kUnavailable, "timed out waiting for a database connection");
    auto* c = free_.back();
    free_.pop_back();
    ++in_use_;
    return lease(c);
  }

  // A connection when one is open and free, without waiting or opening one;
  // empty otherwise.
  std::optional<Database::Lease> try_acquire() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return std::nullopt;
    auto* c = free_.back();
    free_.pop_back();
    ++in_use_;
    return lease(c);
  }
  // Opens the connections not open yet (at start, off the I/O threads).
  void open_all() {
    std::vector<Database::Lease> held;
    for (std::size_t i = 0; i < size_; ++i) held.push_back(acquire());
  }

  // Drops a broken connection so the next acquire makes a new one.
  void discard(Connection* c) {
    std::lock_guard lock(mutex_);
    std::erase_if(all_, [&](auto& p) { return p.get() == c; });
    --created_;
    --in_use_;
    available_.notify_one();
  }

  PoolStats stats() const {
    std::lock_guard lock(mutex_);
    return {size_, in_use_};
  }

 private:
  Database::Lease lease(Connection* c) {
    return Database::Lease(c, [this](Connection* conn) {
      std::lock_guard lock(mutex_);
      free_.push_back(conn);
      --in_use_;
      available_.notify_one();
    });
  }

  Factory factory_;
  std::chrono::milliseconds timeout_;
  std::size_t size_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> all_;
  std::vector<Connection*> free_;
  std::size_t created_ = 0;
  std::size_t in_use_ = 0;
};

}  // namespace companion::db
