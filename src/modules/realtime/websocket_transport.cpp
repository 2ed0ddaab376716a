// A WebSocket following the user's events (GET /v1/ws). One writer: the
// coroutine that runs the stream's next() and writes what it returns; a
// reader coroutine beside it turns client messages into stream commands.
// Beast answers pings, pings an idle client and closes a silent one.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "infra/crypto/uuid.hpp"
#include "modules/realtime/realtime_controller.hpp"

namespace companion::realtime {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
// Without permessage-deflate (events are small; its state would cost each
// connection memory).
using Socket = websocket::stream<beast::tcp_stream, false>;

void apply(std::string_view text, EventStream& stream) {
  auto m = parse_client_message(text);
  if (!m.error.empty())
    stream.report(Failure{"invalid-message", std::move(m.error)});
  else if (m.subscribe)
    stream.subscribe(std::move(m.interview_id), m.resume_from);
  else
    stream.unsubscribe(std::move(m.interview_id));
}

class WebSocketTakeover final : public http::Takeover {
 public:
  WebSocketTakeover(Hub& hub, RealtimeService& service, StreamOwner owner,
                    const TransportSettings& settings)
      : hub_(hub), service_(service), owner_(std::move(owner)), settings_(settings) {}

  net::awaitable<void> run(beast::tcp_stream& tcp, beast::flat_buffer&, http::Request& request,
                           http::Response& response) override {
    Socket ws(std::move(tcp));
    beast::get_lowest_layer(ws).expires_never();
    boost::system::error_code ignore;
    beast::get_lowest_layer(ws).socket().set_option(
        net::socket_base::send_buffer_size(settings_.socket_send_buffer), ignore);
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = settings_.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(settings_.max_message);
    ws.auto_fragment(false);
    // The handshake's answer carries what the pipeline set (X-Request-Id).
    ws.set_option(websocket::stream_base::decorator([&response](websocket::response_type& res) {
      for (const auto& field : response)
        if (field.name() != http::bhttp::field::content_length &&
            field.name() != http::bhttp::field::content_type &&
            field.name() != http::bhttp::field::connection)
          res.set(field.name_string(), field.value());
    }));
    auto [aec] = co_await ws.async_accept(request.raw, kTuple);
    if (aec) co_return;
    // The handshake is done: its request and answer are not needed again.
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type&) {}));
    request.raw = {};
    response = {};

    auto executor = co_await net::this_coro::executor;
    EventStream stream(hub_, service_, executor, owner_.user_id, owner_.session_id,
                       settings_.limits);
    bool reading = true;
    net::steady_timer reader_done(executor, net::steady_timer::time_point::max());
    net::co_spawn(executor, read_loop(ws, stream), [&](std::exception_ptr) {
      reading = false;
      reader_done.cancel();
    });
    co_await write_loop(ws, stream);
    // The reader ends when the close handshake does, or when the socket
    // closes; it references this frame, so wait for it.
    if (reading) {
      net::steady_timer grace(executor, std::chrono::seconds(5));
      grace.async_wait([&](boost::system::error_code ec) {
        if (ec) return;
        boost::system::error_code ignore;
        beast::get_lowest_layer(ws).socket().close(ignore);
      });
      while (reading) co_await reader_done.async_wait(kTuple);
      grace.cancel();
    }
  }

 private:
  net::awaitable<void> read_loop(Socket& ws, EventStream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      // A message is read a little at a time: an idle connection keeps a
      // small buffer, not one sized for the largest frame. (The size
      // limit holds for the whole message.)
      auto [ec, n] = co_await ws.async_read_some(buffer, 512, kTuple);
      if (ec) break;
      if (!ws.is_message_done()) continue;
      if (!ws.got_text())
        stream.report(Failure{"invalid-message", "Messages are JSON text frames."});
      else
        apply(std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()),
              stream);
      buffer.consume(buffer.size());
    }
    stream.end();
  }

  // A write the client does not take within the send timeout closes the
  // socket (Hub::sweep_stalled; the client can resume).
  static net::awaitable<bool> send(Socket& ws, EventStream& stream, const std::string& text) {
    stream.writing(true);
    auto [ec, n] = co_await ws.async_write(net::buffer(text), kTuple);
    stream.writing(false);
    co_return !ec;
  }

  net::awaitable<void> write_loop(Socket& ws, EventStream& stream) {
    stream.on_stalled([&ws] {
      boost::system::error_code ignore;
      beast::get_lowest_layer(ws).socket().close(ignore);
    });
    std::string text;
    for (;;) {
      auto batch = co_await stream.next();
      for (auto& out : batch) {
        if (auto* close = std::get_if<Close>(&out)) {
          if (close->code == 0) co_return;  // the client left
          net::steady_timer guard(co_await net::this_coro::executor, settings_.send_timeout);
          guard.async_wait([&ws](boost::system::error_code ec) {
            if (ec) return;
            boost::system::error_code ignore;
            beast::get_lowest_layer(ws).socket().close(ignore);
          });
          websocket::close_reason reason(static_cast<std::uint16_t>(close->code));
          reason.reason = close->reason;
          co_await ws.async_close(reason, kTuple);
          guard.cancel();
          co_return;
        }
        if (auto* event = std::get_if<std::shared_ptr<const Event>>(&out)) {
          // {"type":"event","event":Event}, around the event's own text.
          text.assign(R"({"type":"event","event":)");
          text += json_text(**event);
          text += '}';
        } else {
          text = boost::json::serialize(to_message(out));
        }
        if (!co_await send(ws, stream, text)) {
          stream.end();
          co_return;
        }
      }
    }
  }

  Hub& hub_;
  RealtimeService& service_;
  StreamOwner owner_;
  const TransportSettings& settings_;
};

}  // namespace

ClientMessage parse_client_message(std::string_view text) {
  ClientMessage m;
  auto refuse = [&](std::string message) {
    m.error = std::move(message);
    return m;
  };
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return refuse("A message is a JSON object.");
  const auto& o = value.get_object();
  auto* type = o.if_contains("type");
  if (!type || !type->is_string())
    return refuse("A message needs a \"type\": subscribe or unsubscribe.");
  m.subscribe = type->get_string() == "subscribe";
  if (!m.subscribe && type->get_string() != "unsubscribe")
    return refuse("Unknown message type; use subscribe or unsubscribe.");
  for (const auto& [key, v] : o) {
    if (key == "type") continue;
    if (key == "interviewId") {
      if (v.is_null()) continue;
      if (!v.is_string() || !crypto::is_uuid(v.get_string()))
        return refuse("\"interviewId\" is an interview's id, or null for all of them.");
      m.interview_id = crypto::normalize_uuid(v.get_string());
    } else if (key == "resumeFrom" && m.subscribe) {
      if (v.is_null()) continue;
      if (!v.is_int64() || v.get_int64() < 0) {
        if (!(v.is_uint64()))
          return refuse("\"resumeFrom\" is the last seq received (0 for everything kept).");
        return refuse("\"resumeFrom\" is larger than any seq.");
      }
      m.resume_from = v.get_int64();
    } else {
      return refuse("Unknown field \"" + std::string(key) + "\".");
    }
  }
  return m;
}

boost::json::object to_message(const Outgoing& out) {
  return std::visit(
      [](const auto& o) -> boost::json::object {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, std::shared_ptr<const Event>>) {
          return {{"type", "event"}, {"event", to_json(*o)}};
        } else if constexpr (std::is_same_v<T, Subscribed>) {
          boost::json::object m{{"type", "subscribed"}, {"seq", o.seq}};
          if (o.interview_id)
            m["interviewId"] = *o.interview_id;
          else
            m["interviewId"] = nullptr;
          return m;
        } else if constexpr (std::is_same_v<T, Resync>) {
          return {
              {"type", "resync"},
              {"seq", o.seq},
              {"message", "Events from before seq " + std::to_string(o.oldest + 1) +
                              " are no longer kept: read the current state again and continue from "
                              "seq " +
                              std::to_string(o.seq) + "."}};
        } else if constexpr (std::is_same_v<T, Failure>) {
          return {{"type", "error"}, {"code", o.code}, {"message", o.message}};
        } else {
          return {{"type", "close"}, {"code", o.code}, {"reason", o.reason}};
        }
      },
      out);
}

std::unique_ptr<http::Takeover> websocket_takeover(Hub& hub, RealtimeService& service,
                                                   StreamOwner owner,
                                                   const TransportSettings& settings) {
  return std::make_unique<WebSocketTakeover>(hub, service, std::move(owner), settings);
}

}  // namespace companion::realtime
