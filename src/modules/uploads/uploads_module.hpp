#pragma once
// The uploads module's entry point (see modules/module.hpp).
#include <cstdint>

#include "modules/interviews/interviews_service.hpp"
#include "modules/module.hpp"
#include "modules/uploads/recordings_service.hpp"
#include "modules/uploads/tus_service.hpp"

namespace companion::uploads {

// Routes: direct uploads and downloads, tus. No stage. An interview's
// deletion takes its recording and unfinished uploads with it.
void add_to(modules::Registry& registry, RecordingsService& recordings, TusService& tus,
            interviews::InterviewsService& interviews, std::uint64_t max_upload_bytes);

}  // namespace companion::uploads
