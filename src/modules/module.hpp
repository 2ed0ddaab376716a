#pragma once
// What a module hands the composition root. Each module has one entry
// point, `add_to(Registry&, …its services and limits)` in
// `<module>_module.hpp`, that adds its HTTP routes (when this process
// serves the API) and the pipeline stage it runs (its handler, the events
// that start it, what to do when a job's attempts are spent). The root
// calls each entry point in one line (app/components.cpp,
// register_modules) and lists no routes or stages itself.
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "infra/queue/envelope.hpp"
#include "infra/queue/outbox_relay.hpp"
#include "infra/queue/worker.hpp"
#include "modules/stage.hpp"

namespace companion::http {
class Router;
}

namespace companion::modules {

// One stage as its module runs it.
struct StageWorker {
  Stage stage;
  std::vector<std::string> topics;  // the events that start a job of this stage
  std::size_t concurrency = 4;      // jobs at once in one process
  std::function<boost::asio::awaitable<void>(queue::Envelope)> handle;
  // The job's attempts are spent: the module records the failure. Empty
  // when a failure changes nothing (a notification that cannot be sent).
  std::function<boost::asio::awaitable<void>(queue::Envelope, queue::Burial)> give_up;
  // The process is stopping: running jobs hand themselves back to the
  // queue (keeping their progress). Empty when jobs simply finish.
  std::function<void()> hand_back;
};

class Registry {
 public:
  // `router`: where routes go; null in a process that serves no API (the
  // `worker` command), where modules add their stages only.
  explicit Registry(http::Router* router) : router_(router) {}

  http::Router* router() const { return router_; }
  void add_stage(StageWorker worker);

  const std::vector<StageWorker>& stages() const { return stages_; }
  // The stage each event goes to (for the outbox relay).
  std::vector<queue::Route> event_routes() const;

 private:
  http::Router* router_;
  std::vector<StageWorker> stages_;
};

}  // namespace companion::modules
