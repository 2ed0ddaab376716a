#include "modules/analysis/analysis_module.hpp"

#include "modules/analysis/analysis_controller.hpp"

namespace companion::analysis {

void add_to(modules::Registry& registry, AnalysisService& service, std::size_t concurrency) {
  if (auto* router = registry.router()) add_routes(*router, service);
  registry.add_stage({.stage = AnalysisService::kStage,
                      .topics = {"transcript.ready", "analysis.requested"},
                      .concurrency = concurrency,
                      .handle = [&service](queue::Envelope event) -> boost::asio::awaitable<void> {
                        co_await service.analyze(std::move(event));
                      },
                      .give_up = [&service](queue::Envelope event,
                                            queue::Burial burial) -> boost::asio::awaitable<void> {
                        co_await service.give_up(std::move(event), std::move(burial));
                      }});
}

}  // namespace companion::analysis
