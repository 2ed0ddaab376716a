#include "modules/interviews/interviews_controller_dto.hpp"

#include <boost/json.hpp>

#include "infra/clock/rfc3339.hpp"
#include "infra/http/json_body.hpp"

namespace companion::interviews {
namespace {

constexpr http::StringRule kTitle{1, 200};
constexpr http::StringRule kCompany{0, 200};
constexpr http::StringRule kRole{0, 200};
constexpr http::StringRule kJobDescription{0, 20000};

boost::json::value nullable(const std::optional<std::string>& s) {
  return s ? boost::json::value(*s) : boost::json::value(nullptr);
}

}  // namespace

NewInterview parse_new_interview(const boost::json::value& body) {
  http::ObjectReader r(body);
  NewInterview n;
  n.title = r.required_string("title", kTitle);
  n.company = r.optional_string("company", kCompany);
  n.role = r.optional_string("role", kRole);
  n.job_description = r.optional_string("jobDescription", kJobDescription);
  n.scheduled_at_ms = r.optional_timestamp("scheduledAt");
  r.finish();
  return n;
}

InterviewPatch parse_interview_patch(const boost::json::value& body) {
  http::ObjectReader r(body);
  InterviewPatch p;
  p.title = r.patch_string("title", kTitle, false);
  p.company = r.patch_string("company", kCompany, true);
  p.role = r.patch_string("role", kRole, true);
  p.job_description = r.patch_string("jobDescription", kJobDescription, true);
  p.scheduled_at_ms = r.patch_timestamp("scheduledAt");
  r.finish();
  return p;
}

boost::json::value to_json(const Interview& i) {
  return {{"id", i.id},
          {"title", i.title},
          {"company", nullable(i.company)},
          {"role", nullable(i.role)},
          {"jobDescription", nullable(i.job_description)},
          {"status", to_string(i.status)},
          {"scheduledAt", i.scheduled_at_ms ? boost::json::value(format_rfc3339(*i.scheduled_at_ms))
                                            : boost::json::value(nullptr)},
          {"createdAt", format_rfc3339(i.created_at_ms)},
          {"updatedAt", format_rfc3339(i.updated_at_ms)},
          {"recording",
           i.recording_json ? boost::json::parse(*i.recording_json) : boost::json::value(nullptr)},
          {"progress",
           i.progress_json ? boost::json::parse(*i.progress_json) : boost::json::value(nullptr)},
          {"failure", i.status == Status::kFailed && i.failure_json
                          ? boost::json::parse(*i.failure_json)
                          : boost::json::value(nullptr)}};
}

}  // namespace companion::interviews
