#pragma once
// Pub/sub within one process: publish() hands the message to the
// subscriber at once, on the publisher's thread.
#include <mutex>

#include "infra/pubsub/pubsub.hpp"

namespace companion::pubsub {

class InProcessPubSub final : public PubSub {
 public:
  void publish(std::string message) override;
  void subscribe(Handler on_message, GapHandler on_gap) override;
  void start() override {}
  void stop() override;
  bool connected() const override { return true; }

 private:
  std::mutex mutex_;  // guards the handler's replacement, not its calls
  std::shared_ptr<const Handler> handler_;
};

}  // namespace companion::pubsub
