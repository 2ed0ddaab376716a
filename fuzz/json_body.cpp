// JSON request bodies into DTOs: the body parser every JSON route goes
// through (parse_json_body, depth and UTF-8 checked), then the DTO readers
// that consume it: interviews (create, patch), the auth forms (register,
// login, refresh) and the nested speaker list of PATCH .../speakers, read
// with the same ObjectReader calls their controllers make.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "infra/clock/rfc3339.hpp"
#include "infra/errors/errors.hpp"
#include "infra/http/json_body.hpp"
#include "infra/text/utf8.hpp"
#include "modules/interviews/interviews_controller.hpp"

namespace {

using companion::ValidationError;
namespace http = companion::http;

void auth_forms(const boost::json::value& body) {
  try {
    http::ObjectReader r(body);
    r.required_string("email", {1, 254});
    r.required_string("password", {8, 128});
    r.required_string("displayName", {1, 100});
    r.finish();
  } catch (const ValidationError&) {
  }
  try {
    http::ObjectReader r(body);
    r.required_string("refreshToken", {1, 1024});
    r.finish();
  } catch (const ValidationError&) {
  }
}

void speaker_labels(const boost::json::value& body) {
  try {
    http::ObjectReader r(body);
    if (const auto* items = r.required_array("speakers", 1, 32)) {
      for (std::size_t k = 0; k < items->size(); ++k) {
        http::ObjectReader item((*items)[k], "speakers[" + std::to_string(k) + "]");
        item.required_string("id", {1, 16});
        item.required_string("label", {1, 100});
        item.finish_into(r);
      }
    }
    r.finish();
  } catch (const ValidationError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The helpers on their own, on raw bytes.
  if (companion::text::is_valid_utf8(text)) (void)companion::text::code_points(text);

  boost::json::value body;
  try {
    body = http::parse_json_body(text);
  } catch (const companion::BadRequest&) {
    return 0;
  }
  try {
    auto n = companion::interviews::parse_new_interview(body);
    // What was accepted is valid UTF-8 of bounded length ...
    FUZZ_CHECK(companion::text::is_valid_utf8(n.title) &&
               companion::text::code_points(n.title) <= 200);
    // ... and what the API answers with it reads back as it was accepted.
    companion::interviews::Interview i;
    i.title = n.title;
    i.company = n.company;
    i.role = n.role;
    i.job_description = n.job_description;
    i.scheduled_at_ms = n.scheduled_at_ms;
    auto out = companion::interviews::to_json(i);
    if (n.scheduled_at_ms) {
      auto text = out.as_object().at("scheduledAt").as_string();
      FUZZ_CHECK(companion::parse_rfc3339(text) == n.scheduled_at_ms);
    }
  } catch (const ValidationError&) {
  }
  try {
    (void)companion::interviews::parse_interview_patch(body);
  } catch (const ValidationError&) {
  }
  auth_forms(body);
  speaker_labels(body);
  return 0;
}
