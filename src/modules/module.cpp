#include "modules/module.hpp"

#include <stdexcept>

namespace companion::modules {

void Registry::add_stage(StageWorker worker) {
  for (const auto& s : stages_)
    if (s.stage == worker.stage)
      throw std::logic_error("two modules run the stage " + std::string(stage_name(s.stage)));
  stages_.push_back(std::move(worker));
}

std::vector<queue::Route> Registry::event_routes() const {
  std::vector<queue::Route> routes;
  for (const auto& s : stages_)
    for (const auto& topic : s.topics)
      routes.push_back({.topic = topic, .stage = std::string(stage_name(s.stage))});
  return routes;
}

}  // namespace companion::modules
