#include "modules/transcription/transcription_module.hpp"

#include "modules/transcription/transcription_controller.hpp"

namespace companion::transcription {

void add_to(modules::Registry& registry, TranscriptionService& service, std::size_t concurrency) {
  if (auto* router = registry.router()) add_routes(*router, service);
  registry.add_stage({.stage = TranscriptionService::kStage,
                      .topics = {"recording.uploaded", "transcription.requested"},
                      .concurrency = concurrency,
                      .handle = [&service](queue::Envelope event) -> boost::asio::awaitable<void> {
                        co_await service.transcribe(std::move(event));
                      },
                      .give_up = [&service](queue::Envelope event,
                                            queue::Burial burial) -> boost::asio::awaitable<void> {
                        co_await service.give_up(std::move(event), std::move(burial));
                      },
                      // Running transcriptions stop at their next chunk and go back to the
                      // queue; their checkpoints keep the work done.
                      .hand_back = [&service] { service.hand_back(); }});
}

}  // namespace companion::transcription
