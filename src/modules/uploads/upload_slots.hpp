#pragma once
// How many request bodies one user may be streaming into this process at
// once (direct uploads and tus PATCHes together). One slot per body, held
// while it is read and stored; past the limit the request is refused before
// any byte is read. Per process: a cluster multiplies it by its replicas.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "infra/errors/errors.hpp"

namespace companion::uploads {

class UploadSlots {
 public:
  explicit UploadSlots(std::size_t per_user) : per_user_(per_user) {}

  class Slot {
   public:
    Slot(UploadSlots& slots, std::string user_id) : slots_(&slots), user_id_(std::move(user_id)) {}
    Slot(Slot&& other) noexcept : slots_(other.slots_), user_id_(std::move(other.user_id_)) {
      other.slots_ = nullptr;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (slots_) slots_->release(user_id_);
    }

   private:
    UploadSlots* slots_;
    std::string user_id_;
  };

  // A slot for the user, or RateLimited when all of theirs are taken.
  Slot acquire(const std::string& user_id) {
    std::lock_guard lock(mutex_);
    auto& n = in_use_[user_id];
    if (per_user_ > 0 && n >= per_user_)  // n > 0 here: no empty entry is left behind
      throw RateLimited("This account already has " + std::to_string(n) +
                            " uploads in progress; wait for one to finish.",
                        5);
    ++n;
    return Slot(*this, user_id);
  }
  std::size_t in_use(const std::string& user_id) const {
    std::lock_guard lock(mutex_);
    auto it = in_use_.find(user_id);
    return it == in_use_.end() ? 0 : it->second;
  }

 private:
  void release(const std::string& user_id) {
    std::lock_guard lock(mutex_);
    auto it = in_use_.find(user_id);
    if (it != in_use_.end() && --it->second == 0) in_use_.erase(it);
  }

  std::size_t per_user_;  // 0: no limit
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> in_use_;
};

}  // namespace companion::uploads
