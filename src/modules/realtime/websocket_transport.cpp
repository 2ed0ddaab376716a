// A WebSocket following the user's events (GET /v1/ws). After the
// handshake the connection is a session object driven by completion
// handlers, not coroutines: an idle connection keeps only its socket,
// Beast's state, a pending read and the stream's inbox, and an event is
// written from the wake-up that brings it (EventStream::poll). One write at
// a time; the stream's coroutine (next()) runs only for what needs the
// database (a subscription, a gap). Beast answers pings, pings an idle
// client and closes a silent one.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <array>

#include "infra/crypto/uuid.hpp"
#include "modules/realtime/realtime_controller.hpp"

namespace companion::realtime {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
// On the bare socket (Beast's websocket keeps its own timers), without
// permessage-deflate (events are small; its state would cost each
// connection memory).
using Socket = websocket::stream<net::ip::tcp::socket, false>;

void apply_message(std::string_view text, EventStream& stream) {
  auto m = parse_client_message(text);
  if (!m.error.empty())
    stream.report(Failure{"invalid-message", std::move(m.error)});
  else if (m.subscribe)
    stream.subscribe(std::move(m.interview_id), m.resume_from);
  else
    stream.unsubscribe(std::move(m.interview_id));
}

class WebSocketSession final : public std::enable_shared_from_this<WebSocketSession>,
                               private Driver {
 public:
  WebSocketSession(Socket ws, Hub& hub, RealtimeService& service, const StreamOwner& owner,
                   StreamLimits limits, http::ConnectionLease lease)
      : ws_(std::move(ws)),
        stream_(hub, service, ws_.get_executor(), owner.user_id, owner.session_id, limits),
        lease_(std::move(lease)) {}

  // Everything runs on the socket's executor; a handler in flight holds
  // the session, whose stream stops calling back when it goes.
  void start() {
    stream_.drive(this);
    // A pong is the client heard from, like a message.
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong) stream_.heard();
    });
    read();
  }

 private:
  // Driver
  void ready() override { pump(); }
  void stalled() override { close_socket(); }
  void idle() override {
    if (pinging_ || done_) return;
    pinging_ = true;
    ws_.async_ping(
        {}, [self = shared_from_this()](boost::system::error_code) { self->pinging_ = false; });
  }
  void silent() override { close_socket(); }

  void read() {
    // A message is read a little at a time into a small piece of the
    // session: an idle connection keeps no buffer sized for the largest
    // message. (The size limit holds for the whole message.)
    ws_.async_read_some(net::buffer(chunk_),
                        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                          self->on_read(ec, n);
                        });
  }

  void on_read(boost::system::error_code ec, std::size_t n) {
    if (ec) {
      stream_.end();  // the stream's Close (code 0) ends the writer
      return;
    }
    stream_.heard();
    const bool done = ws_.is_message_done();
    if (!done || !message_.empty()) message_.append(chunk_.data(), n);
    if (done) {
      if (!ws_.got_text())
        stream_.report(Failure{"invalid-message", "Messages are JSON text frames."});
      else if (message_.empty())
        apply_message(std::string_view(chunk_.data(), n), stream_);
      else
        apply_message(message_, stream_);
      std::string().swap(message_);
    }
    read();
  }

  // Sends what the stream has, one message at a time.
  void pump() {
    if (writing_ || in_next_ || done_) return;
    if (sent_ == out_.size()) {
      out_.clear();
      sent_ = 0;
      if (!stream_.poll(out_)) {
        run_next();
        return;
      }
      if (out_.empty()) {
        std::vector<Outgoing>().swap(out_);  // an idle connection keeps none
        return;
      }
    }
    send(out_[sent_++]);
  }

  void run_next() {
    in_next_ = true;
    net::co_spawn(
        ws_.get_executor(),
        [self = shared_from_this()]() -> net::awaitable<void> {
          auto batch = co_await self->stream_.next();
          self->out_.insert(self->out_.end(), std::make_move_iterator(batch.begin()),
                            std::make_move_iterator(batch.end()));
        },
        [self = shared_from_this()](std::exception_ptr failed) {
          self->in_next_ = false;
          if (failed) {
            // The database did not answer: the client reconnects and resumes.
            self->out_.emplace_back(Close{1011, "events could not be read; reconnect and resume"});
          }
          self->pump();
        });
  }

  void send(Outgoing& out) {
    if (auto* close = std::get_if<Close>(&out)) {
      done_ = true;
      if (close->code == 0) return;  // the client left
      // The close handshake has the handshake timeout (10 s); the reader
      // ends with it.
      websocket::close_reason reason(static_cast<std::uint16_t>(close->code));
      reason.reason = close->reason;
      ws_.async_close(reason, [self = shared_from_this()](boost::system::error_code) {});
      return;
    }
    net::const_buffer text;
    if (auto* event = std::get_if<std::shared_ptr<const Event>>(&out)) {
      // Rendered once for every stream of the user (render()); held until
      // written.
      current_ = std::move(*event);
      if (current_->message.empty()) {
        text_ = boost::json::serialize(to_message(current_));
        text = net::buffer(text_);
      } else {
        text = net::buffer(current_->message);
      }
    } else {
      text_ = boost::json::serialize(to_message(out));
      text = net::buffer(text_);
    }
    // A write the client does not take within the send timeout closes the
    // socket (Hub::sweep; the client can resume).
    writing_ = true;
    stream_.writing(true);
    ws_.async_write(text, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->writing_ = false;
      self->stream_.writing(false);
      self->current_.reset();
      std::string().swap(self->text_);
      if (ec) {
        self->done_ = true;
        self->close_socket();
        return;
      }
      self->pump();
    });
  }

  void close_socket() {
    boost::system::error_code ignore;
    beast::get_lowest_layer(ws_).close(ignore);
  }

  Socket ws_;
  EventStream stream_;
  http::ConnectionLease lease_;
  std::array<char, 32> chunk_;  // read into
  std::string message_;         // a message that came in more than one chunk
  std::vector<Outgoing> out_;   // what to send; out_[sent_] is next
  std::size_t sent_ = 0;
  std::shared_ptr<const Event> current_;  // the event being written
  std::string text_;                      // or the message being written
  bool writing_ = false;
  bool in_next_ = false;
  bool pinging_ = false;
  bool done_ = false;
};

class WebSocketTakeover final : public http::Takeover {
 public:
  WebSocketTakeover(Hub& hub, RealtimeService& service, StreamOwner owner,
                    const TransportSettings& settings)
      : hub_(hub), service_(service), owner_(std::move(owner)), settings_(settings) {}

  net::awaitable<void> run(beast::tcp_stream& tcp, beast::flat_buffer&, http::Request& request,
                           http::Response& response, http::ConnectionLease lease) override {
    tcp.expires_never();
    Socket ws(std::move(tcp.socket()));
    boost::system::error_code ignore;
    ws.next_layer().set_option(net::socket_base::send_buffer_size(settings_.socket_send_buffer),
                               ignore);
    // Beast's timer bounds the opening and closing handshakes only: an
    // idle client is pinged and dropped by the hub's sweep (Driver), so no
    // timer waits under each connection.
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
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
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type&) {}));
    // The session carries on alone (with the lease); this frame, the
    // server's and the request go.
    auto limits = settings_.limits;
    limits.idle_timeout = settings_.idle_timeout;
    std::make_shared<WebSocketSession>(std::move(ws), hub_, service_, owner_, limits,
                                       std::move(lease))
        ->start();
  }

 private:
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
