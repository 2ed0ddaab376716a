#include "infra/pubsub/in_process_pubsub.hpp"

#include <memory>

namespace companion::pubsub {

void InProcessPubSub::publish(std::string message) {
  std::shared_ptr<const Handler> handler;
  {
    std::lock_guard lock(mutex_);
    handler = handler_;
  }
  if (handler) (*handler)(message);
}

void InProcessPubSub::subscribe(Handler on_message, GapHandler) {
  std::lock_guard lock(mutex_);
  handler_ = std::make_shared<const Handler>(std::move(on_message));
}

void InProcessPubSub::stop() {
  std::lock_guard lock(mutex_);
  handler_.reset();
}

}  // namespace companion::pubsub
