#pragma once
// The transcription module's entry point (see modules/module.hpp).
#include "modules/module.hpp"
#include "modules/transcription/transcription_service.hpp"

namespace companion::transcription {

// Routes: the transcript and speaker names. Stage: transcribe, for
// recording.uploaded and transcription.requested; at most `concurrency`
// recordings at once in one process.
void add_to(modules::Registry& registry, TranscriptionService& service, std::size_t concurrency);

}  // namespace companion::transcription
