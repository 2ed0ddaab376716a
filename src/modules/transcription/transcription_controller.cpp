#include "modules/transcription/transcription_controller.hpp"

#include <boost/json.hpp>

#include "infra/errors/errors.hpp"
#include "infra/http/json_body.hpp"
#include "modules/interviews/interviews_controller.hpp"

namespace companion::transcription {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

constexpr http::StringRule kSpeakerId{1, 16};
constexpr http::StringRule kLabel{1, 100};

std::vector<SpeakerLabel> parse_labels(const boost::json::value& body) {
  http::ObjectReader r(body);
  std::vector<SpeakerLabel> labels;
  if (const auto* items = r.required_array("speakers", 1, 32)) {
    for (std::size_t k = 0; k < items->size(); ++k) {
      http::ObjectReader item((*items)[k], "speakers[" + std::to_string(k) + "]");
      auto id = item.required_string("id", kSpeakerId);
      auto label = item.required_string("label", kLabel);
      item.finish_into(r);
      labels.push_back({std::move(id), std::move(label)});
    }
  }
  r.finish();
  return labels;
}

boost::json::value speakers_body(const Transcript& t) {
  return boost::json::object{{"speakers", speakers_json(t.speakers)}};
}

}  // namespace

void add_routes(http::Router& router, TranscriptionService& service) {
  router.add(
      http::Verb::get, "/v1/interviews/{id}/transcript",
      {.query = {"format"}, .summary = "Read an interview's transcript"},
      [&service](Request& req) -> awaitable<Response> {
        auto id = interviews::interview_id(req);
        auto format = std::string(req.query_param("format").value_or("json"));
        if (format != "json" && format != "vtt" && format != "srt" && format != "txt")
          throw ValidationError("format", "must be json, vtt, srt or txt");
        auto t = co_await service.get(req.user().user_id, id);
        if (format == "vtt")
          co_return http::text_response(http::Status::ok, to_webvtt(t), "text/vtt; charset=utf-8");
        if (format == "srt")
          co_return http::text_response(http::Status::ok, to_subrip(t),
                                        "application/x-subrip; charset=utf-8");
        if (format == "txt")
          co_return http::text_response(http::Status::ok, to_text(t), "text/plain; charset=utf-8");
        co_return http::json_response(http::Status::ok, to_json(t));
      });

  router.add(http::Verb::patch, "/v1/interviews/{id}/speakers",
             {.json_body = true, .summary = "Rename the speakers of a transcript"},
             [&service](Request& req) -> awaitable<Response> {
               auto id = interviews::interview_id(req);
               auto labels = parse_labels(req.json);
               auto t = co_await service.rename_speakers(req.user().user_id, id, std::move(labels));
               co_return http::json_response(http::Status::ok, speakers_body(t));
             });
}

}  // namespace companion::transcription
