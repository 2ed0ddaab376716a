// Request targets as the pipeline reads them: the origin-form parse
// (Boost.URL), the route match against every route of the OpenAPI document
// compiled into the binary, the path parameters (interview ids), the query
// parameters, and the list cursor (?cursor=) decoded from them. A cursor
// that decodes is one this service could have issued: it encodes back to
// a cursor that decodes to the same position.
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "check.hpp"
#include "infra/embedded/embedded_files.hpp"
#include "infra/errors/errors.hpp"
#include "infra/http/router.hpp"
#include "modules/interviews/interview.hpp"
#include "modules/interviews/interviews_controller.hpp"

namespace http = companion::http;
namespace interviews = companion::interviews;

namespace {

const http::Router& router() {
  static const http::Router r = [] {
    http::Router r;
    auto doc = boost::json::parse(companion::embedded::openapi_json());
    for (const auto& [path, item] : doc.at("paths").as_object())
      for (const auto& [method, op] : item.as_object()) {
        auto verb = http::bhttp::string_to_verb(std::string(method));
        if (verb == http::Verb::unknown) continue;  // "parameters", "summary", ...
        r.add(verb, std::string(path), {}, nullptr);
      }
    return r;
  }();
  return r;
}

void cursor(std::string_view text) {
  auto c = interviews::decode_cursor(text);
  if (!c) return;
  auto again = interviews::decode_cursor(interviews::encode_cursor(*c));
  FUZZ_CHECK(again && again->created_at_ms == c->created_at_ms && again->id == c->id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  cursor(target);  // the cursor parser on raw bytes too

  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return 0;
  http::Request request;
  request.path = parsed->path();
  for (auto verb : {http::Verb::get, http::Verb::patch, http::Verb::head}) {
    auto match = router().match(verb, request.path);
    if (!match.route) continue;
    request.path_params = std::move(match.params);
    if (!request.path_param("id").empty()) {
      try {
        auto id = interviews::interview_id(request);
        FUZZ_CHECK(id.size() == 36);
      } catch (const companion::NotFound&) {
      }
    }
  }
  for (auto p : parsed->params()) request.query.emplace_back(p.key, p.value);
  if (auto text = request.query_param("cursor")) cursor(*text);
  return 0;
}
