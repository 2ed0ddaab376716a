#include "modules/uploads/uploads_controller.hpp"

#include <boost/json.hpp>

#include <array>
#include <charconv>

#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "infra/http/json_body.hpp"
#include "infra/http/problem.hpp"
#include "infra/text/utf8.hpp"
#include "modules/interviews/interviews_controller.hpp"

namespace companion::uploads {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

using interviews::interview_id;

bool accepted_media_type(std::string_view ct) {
  auto type = ct.substr(0, ct.find(';'));
  return type.rfind("audio/", 0) == 0 || type.rfind("video/", 0) == 0 ||
         type == "application/octet-stream";
}

// Streams [first, last] of a recording in 64 KiB pieces.
class RecordingBody final : public http::BodySource {
 public:
  RecordingBody(RecordingsService& service, Playback playback, std::uint64_t first,
                std::uint64_t last)
      : service_(service), playback_(std::move(playback)), next_(first), end_(last + 1) {}
  awaitable<std::string_view> next() override {
    if (next_ >= end_) co_return std::string_view{};
    auto want = std::min<std::uint64_t>(buffer_.size(), end_ - next_);
    auto n = co_await service_.read(playback_, next_, {buffer_.data(), want});
    if (n == 0) throw std::runtime_error("recording ended before its recorded size");
    next_ += n;
    co_return std::string_view(buffer_.data(), n);
  }

 private:
  RecordingsService& service_;
  Playback playback_;
  std::uint64_t next_;
  std::uint64_t end_;
  std::array<char, 64 * 1024> buffer_;
};

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size) {
  if (header.rfind("bytes=", 0) != 0) return std::nullopt;
  auto spec = header.substr(6);
  if (spec.find(',') != std::string_view::npos) return std::nullopt;  // one range only
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.empty()) {  // suffix: the last N bytes
    auto n = number(b);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) throw RangeNotSatisfiable();
    return ByteRange{size - std::min(*n, size), size - 1};
  }
  auto first = number(a);
  if (!first) return std::nullopt;
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    auto l = number(b);
    if (!l || *l < *first) return std::nullopt;
    last = std::min(*l, last);
  }
  if (*first >= size) throw RangeNotSatisfiable();
  return ByteRange{*first, last};
}

void add_routes(http::Router& router, RecordingsService& service, std::uint64_t max_upload_bytes) {
  router.add(
      http::Verb::put, "/v1/interviews/{id}/recording",
      {.body_limit = max_upload_bytes, .streaming_body = true, .summary = "Upload a recording"},
      [&service](Request& req) -> awaitable<Response> {
        auto id = interview_id(req);
        auto consent_header = req.header("Recording-Consent");
        auto consent = consent_header ? consent_from_string(*consent_header) : std::nullopt;
        if (!consent)
          throw ValidationError("Recording-Consent",
                                "must say who agreed to be recorded: all-parties or self-only");
        auto ct = req.header("Content-Type");
        if (!ct || !accepted_media_type(*ct))
          throw UnsupportedMedia(
              "A recording must be sent as audio/*, video/* or application/octet-stream.");
        std::optional<std::string> filename;
        if (auto f = req.header("Recording-Filename"); f && !f->empty()) {
          bool printable = std::none_of(f->begin(), f->end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
          });
          if (f->size() > 255 || !printable || !text::is_valid_utf8(*f))
            throw ValidationError("Recording-Filename",
                                  "must be at most 255 bytes of printable UTF-8");
          filename = std::string(*f);
        }
        auto* body = req.body;
        // Named, not temporaries in the co_await expression: GCC 12 destroys
        // such temporaries twice.
        NewRecording input{req.user().user_id,    id, *consent, filename, req.trace.traceparent(),
                           body->content_length()};
        ReadBody read_body =
            [body](std::span<const std::span<char>> into) -> awaitable<std::size_t> {
          co_return co_await body->read(into);
        };
        auto interview = co_await service.store(std::move(input), std::move(read_body));
        co_return http::json_response(http::Status::created, interviews::to_json(interview));
      });

  router.add(http::Verb::get, "/v1/interviews/{id}/recording", {.summary = "Play a recording back"},
             [&service](Request& req) -> awaitable<Response> {
               auto playback = co_await service.open(req.user().user_id, interview_id(req));
               auto size = playback.reader->size();
               Response res{http::Status::ok, 11};
               res.set(http::bhttp::field::content_type, playback.recording.mime_type);
               res.set(http::bhttp::field::accept_ranges, "bytes");
               std::optional<ByteRange> range;
               if (auto h = req.header("Range")) {
                 try {
                   range = parse_range(*h, size);
                 } catch (const RangeNotSatisfiable&) {
                   auto p = http::problem_response(
                       ClientError(ErrorKind::kRangeNotSatisfiable,
                                   "The requested range is outside the recording."),
                       req.path);
                   p.set(http::bhttp::field::content_range, "bytes */" + std::to_string(size));
                   co_return p;
                 }
               }
               std::uint64_t first = range ? range->first : 0;
               std::uint64_t last = range ? range->last : (size == 0 ? 0 : size - 1);
               std::uint64_t length = size == 0 ? 0 : last - first + 1;
               if (range) {
                 res.result(http::Status::partial_content);
                 res.set(http::bhttp::field::content_range, "bytes " + std::to_string(first) + "-" +
                                                                std::to_string(last) + "/" +
                                                                std::to_string(size));
               }
               res.content_length(length);
               if (length > 0)
                 req.response_body =
                     std::make_unique<RecordingBody>(service, std::move(playback), first, last);
               co_return res;
             });
}

}  // namespace companion::uploads
