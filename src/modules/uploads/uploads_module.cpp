#include "modules/uploads/uploads_module.hpp"

#include "modules/uploads/tus_controller.hpp"
#include "modules/uploads/uploads_controller.hpp"

namespace companion::uploads {

void add_to(modules::Registry& registry, RecordingsService& recordings, TusService& tus,
            interviews::InterviewsService& interviews, std::uint64_t max_upload_bytes) {
  if (auto* router = registry.router()) {
    add_routes(*router, recordings, max_upload_bytes);
    add_tus_routes(*router, tus);
  }
  interviews.on_remove([&recordings, &tus](db::Connection& c, const std::string& interview_id) {
    recordings.forget_interview_in(c, interview_id);
    tus.forget_interview_in(c, interview_id);
  });
}

}  // namespace companion::uploads
