// Server-Sent Events following the user's events (GET /v1/events): the
// same stream as the WebSocket's, as `text/event-stream`. A stored event
// carries `id:` = seq, so a reconnecting EventSource sends Last-Event-ID
// and resumes; a progress tick has no id (the last one stays). A comment
// line every heartbeat keeps proxies from closing an idle stream and finds
// out when the client left.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "modules/realtime/realtime_controller.hpp"

namespace companion::realtime {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// One frame: `data:` lines never hold a newline (JSON escapes them).
void append_frame(std::string& out, const Outgoing& item) {
  if (auto* event = std::get_if<std::shared_ptr<const Event>>(&item)) {
    const auto& e = **event;
    if (e.seq) out += "id: " + std::to_string(*e.seq) + "\n";
    out += "event: " + e.type + "\ndata: ";
    out += json_text(e);
    out += "\n\n";
    return;
  }
  auto message = to_message(item);
  out += "event: " + std::string(message["type"].as_string()) + "\ndata: ";
  out += boost::json::serialize(message);
  out += "\n\n";
}

class SseTakeover final : public http::Takeover {
 public:
  SseTakeover(Hub& hub, RealtimeService& service, StreamOwner owner,
              const TransportSettings& settings, std::optional<std::string> interview_id,
              std::optional<std::int64_t> resume_from)
      : hub_(hub),
        service_(service),
        owner_(std::move(owner)),
        settings_(settings),
        interview_id_(std::move(interview_id)),
        resume_from_(resume_from) {}

  net::awaitable<void> run(beast::tcp_stream& tcp, beast::flat_buffer&, http::Request&,
                           http::Response& response, http::ConnectionLease) override {
    // Close-delimited: the body is the stream, it ends when the connection does.
    http::bhttp::response<http::bhttp::empty_body> head{http::Status::ok, 11};
    head.base() = response.base();
    head.result(http::Status::ok);
    head.set(http::bhttp::field::content_type, "text/event-stream; charset=utf-8");
    head.set(http::bhttp::field::cache_control, "no-store");
    head.set("X-Accel-Buffering", "no");  // nginx: pass each event on at once
    head.erase(http::bhttp::field::content_length);
    head.keep_alive(false);
    http::bhttp::response_serializer<http::bhttp::empty_body> serializer(head);
    boost::system::error_code ignore;
    tcp.socket().set_option(net::socket_base::send_buffer_size(settings_.socket_send_buffer),
                            ignore);
    tcp.expires_after(settings_.send_timeout);
    auto [hec, hn] = co_await http::bhttp::async_write_header(tcp, serializer, kTuple);
    if (hec) co_return;

    auto executor = co_await net::this_coro::executor;
    EventStream stream(hub_, service_, executor, owner_.user_id, owner_.session_id,
                       settings_.limits);
    stream.subscribe(interview_id_, resume_from_);
    // A write the client does not take in time ends it (Hub::sweep); a
    // wake-up finds next() waiting or the writer about to call it.
    tcp.expires_never();
    struct Closer final : Driver {
      beast::tcp_stream& tcp;
      explicit Closer(beast::tcp_stream& t) : tcp(t) {}
      void ready() override {}
      void stalled() override { tcp.close(); }
    } closer(tcp);
    stream.drive(&closer);
    std::string out = "retry: 2000\n\n";
    for (;;) {
      if (!out.empty()) {
        stream.writing(true);
        auto [ec, n] = co_await net::async_write(tcp, net::buffer(out), kTuple);
        stream.writing(false);
        if (ec) co_return;
        out.clear();
      }
      auto batch = co_await stream.next(std::chrono::steady_clock::now() + settings_.heartbeat);
      if (batch.empty()) out = ": keep-alive\n\n";
      for (const auto& item : batch) {
        if (auto* close = std::get_if<Close>(&item)) {
          if (close->code != 0) {
            append_frame(out, item);
            stream.writing(true);
            co_await net::async_write(tcp, net::buffer(out), kTuple);
            stream.writing(false);
          }
          co_return;
        }
        append_frame(out, item);
      }
    }
  }

 private:
  Hub& hub_;
  RealtimeService& service_;
  StreamOwner owner_;
  const TransportSettings& settings_;
  std::optional<std::string> interview_id_;
  std::optional<std::int64_t> resume_from_;
};

}  // namespace

std::unique_ptr<http::Takeover> sse_takeover(Hub& hub, RealtimeService& service, StreamOwner owner,
                                             const TransportSettings& settings,
                                             std::optional<std::string> interview_id,
                                             std::optional<std::int64_t> resume_from) {
  return std::make_unique<SseTakeover>(hub, service, std::move(owner), settings,
                                       std::move(interview_id), resume_from);
}

}  // namespace companion::realtime
