#pragma once
#include "infra/http/router.hpp"
#include "modules/transcription/transcription_service.hpp"

namespace companion::transcription {

// GET /v1/interviews/{id}/transcript[?format=json|vtt|srt|txt] and
// PATCH /v1/interviews/{id}/speakers
void add_routes(http::Router& router, TranscriptionService& service);

}  // namespace companion::transcription
