#include "infra/http/server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>

#include "infra/http/response_head.hpp"

namespace companion::http {
namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using net::use_awaitable;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

struct Server::Connection {
  beast::tcp_stream* stream;  // null once a takeover has the connection
  bool idle = true;           // touched only on the connection's own thread
  net::any_io_executor executor;
};

struct Server::Handoff {
  Request request;
  Response response;
  beast::flat_buffer buffer;  // what the client sent after the request
};

Server::Server(ServerSettings settings, Pipeline& pipeline, log::Logger& logger)
    : settings_(std::move(settings)), pipeline_(pipeline), logger_(logger) {
  if (settings_.threads == 0) settings_.threads = 1;
  for (std::size_t i = 0; i < settings_.threads; ++i) {
    contexts_.push_back(std::make_unique<net::io_context>(1));
    guards_.push_back(net::make_work_guard(*contexts_.back()));
  }
}

Server::~Server() {
  for (auto& c : contexts_) c->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

tcp::endpoint Server::start() {
  auto address = net::ip::make_address(settings_.host);
  tcp::endpoint endpoint(address, settings_.port);
  acceptor_ = std::make_unique<tcp::acceptor>(*contexts_[0]);
  acceptor_->open(endpoint.protocol());
  acceptor_->set_option(net::socket_base::reuse_address(true));
  acceptor_->bind(endpoint);
  acceptor_->listen(net::socket_base::max_listen_connections);
  auto bound = acceptor_->local_endpoint();
  net::co_spawn(*contexts_[0], accept_loop(), net::detached);
  for (auto& ctx : contexts_) threads_.emplace_back([c = ctx.get()] { c->run(); });
  return bound;
}

net::awaitable<void> Server::accept_loop() {
  while (!draining_) {
    auto& ctx = *contexts_[next_context_++ % contexts_.size()];
    auto [ec, socket] = co_await acceptor_->async_accept(ctx, kTuple);
    if (ec) {
      if (ec == net::error::operation_aborted || draining_) break;
      // Out of descriptors or a transient error: back off a little.
      logger_.warn("accept failed", {{"error", ec.message()}});
      net::steady_timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(kTuple);
      continue;
    }
    if (connections_.load() >= settings_.max_connections) {
      boost::system::error_code ignore;
      socket.close(ignore);
      continue;
    }
    boost::system::error_code ignore;
    socket.set_option(tcp::no_delay(true), ignore);
    auto executor = socket.get_executor();
    net::co_spawn(executor, session(std::move(socket)), net::detached);
  }
}

namespace {

// Writes an in-memory response: its head, formatted into `scratch`, and its
// body in one gather write. Chunked ones go through Beast's serializer.
net::awaitable<boost::system::error_code> write_response(beast::tcp_stream& stream,
                                                         Response& response, std::string& scratch,
                                                         std::chrono::milliseconds timeout) {
  if (!writes_plainly(response)) {
    stream.expires_after(timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, response, kTuple);
    co_return ec;
  }
  scratch.clear();
  append_response_head(response, scratch);
  std::array<net::const_buffer, 2> pieces{net::buffer(scratch), net::buffer(response.body())};
  // Most answers fit in the socket's send buffer: written at once (the
  // socket is non-blocking), with no timer and no suspension. What does not
  // fit goes out asynchronously under the deadline.
  boost::system::error_code ec;
  auto sent = stream.socket().write_some(pieces, ec);
  if (ec && ec != net::error::would_block && ec != net::error::try_again) co_return ec;
  beast::buffers_suffix<std::array<net::const_buffer, 2>> rest(pieces);
  rest.consume(sent);
  if (beast::buffer_bytes(rest) == 0) co_return boost::system::error_code{};
  stream.expires_after(timeout);
  auto [wec, n] = co_await net::async_write(stream, rest, kTuple);
  co_return wec;
}

// After an error response that leaves request bytes unread: stop sending,
// then read and drop what the client still sends (bounded in bytes and
// time), so it sees our response instead of a connection reset.
net::awaitable<void> lingering_close(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(2));
  std::array<char, 16 * 1024> sink;
  std::size_t drained = 0;
  while (drained < 16 * 1024 * 1024) {
    auto [rec, n] = co_await stream.async_read_some(net::buffer(sink), kTuple);
    if (rec) break;
    drained += n;
  }
}

// Writes a final (error) response with Connection: close; `linger` when
// request bytes may still be on their way.
net::awaitable<void> send_and_close(beast::tcp_stream& stream, Response res,
                                    std::chrono::milliseconds timeout, bool linger) {
  res.keep_alive(false);
  std::string head;
  auto ec = co_await write_response(stream, res, head, timeout);
  if (!ec && linger) co_await lingering_close(stream);
}

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// BodyReader over the connection. A body of known length is read from the
// socket straight into the caller's memory, as much as has arrived and fits
// (its first bytes may already be in the connection's buffer, behind the
// header), so an upload's bytes are copied once, by the kernel. A chunked
// body goes through Beast's parser (a copy out of the connection's buffer).
//
// The socket wakes the reader only once kLowWater bytes have arrived
// (SO_RCVLOWAT; less near the end of the body or of the caller's room), so
// a wake-up brings a large read instead of the few kilobytes the client
// sent since the last one.
//
// Each read has a deadline (read_deadline()). A watchdog ticking every
// kTick checks it, instead of a timer set for every read (Beast's
// tcp_stream: 68,000 timerfd_settime calls per GiB uploaded, 3 % of the
// server's cycles; docs/benchmarks.md); past it the socket is closed, as
// Beast does, up to one tick late. A read still waiting at a tick has its
// low-water mark dropped; the next read raises it again, so a client slower
// than kLowWater a tick is read in bursts, one a tick.
class SessionBodyReader final : public BodyReader {
 public:
  SessionBodyReader(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                    bhttp::request_parser<bhttp::buffer_body>& parser,
                    std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout,
                    std::uint64_t min_rate)
      : stream_(stream),
        buffer_(buffer),
        parser_(parser),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout),
        min_rate_(min_rate),
        direct_(parser.content_length().has_value()),
        watch_(std::make_shared<Watch>(stream.get_executor(), stream.socket())) {}
  ~SessionBodyReader() override {
    watch_->socket = nullptr;
    watch_->timer.cancel();
    // What the next request's header is read with.
    if (watch_->low_water != 1) set_low_water(stream_.socket(), 1);
  }
  SessionBodyReader(const SessionBodyReader&) = delete;
  SessionBodyReader& operator=(const SessionBodyReader&) = delete;

  net::awaitable<std::size_t> read(std::span<const std::span<char>> into) override {
    if (failed_) throw BadRequest("The request body could not be read.");
    if (done()) co_return 0;
    if (!continued_) {
      // Asked for the body only now: a request refused before this point
      // (auth, validation) never makes the client send it.
      continued_ = true;
      auto expect = parser_.get().find(bhttp::field::expect);
      if (expect != parser_.get().end() && beast::iequals(expect->value(), "100-continue")) {
        stream_.expires_after(write_timeout_);
        auto [wec, wn] = co_await net::async_write(stream_, net::buffer(kContinue), kTuple);
        if (wec) fail("The connection closed.");
      }
    }
    // Never past the body: what follows is the next request's.
    const std::uint64_t left = direct_ ? *parser_.content_length() - received_ : ~0ull;
    std::array<net::mutable_buffer, kMaxSpans> buffers;
    std::size_t count = 0;
    std::uint64_t room = 0;
    for (auto span : into) {
      if (count == buffers.size() || room == left) break;
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(span.size(), left - room));
      if (n == 0) continue;
      buffers[count++] = net::buffer(span.data(), n);
      room += n;
    }
    if (room == 0) throw std::invalid_argument("no room to read a request body into");
    if (!direct_) co_return co_await read_parsed(buffers[0]);
    std::span<const net::mutable_buffer> targets(buffers.data(), count);
    std::size_t n = 0;
    if (buffer_.size() > 0) {
      n = net::buffer_copy(targets, buffer_.data());
      buffer_.consume(n);
    } else {
      arm(static_cast<std::size_t>(room));
      auto [ec, got] = co_await stream_.socket().async_read_some(targets, kTuple);
      watch_->deadline.reset();
      if (ec) fail(watch_->expired ? kLate : kBroken);
      n = got;
    }
    received_ += n;
    co_return n;
  }
  std::optional<std::uint64_t> content_length() const override {
    auto n = parser_.content_length();
    return n ? std::optional<std::uint64_t>(*n) : std::nullopt;
  }
  std::uint64_t received() const override { return received_; }
  bool done() const override {
    return direct_ ? received_ == *parser_.content_length() : parser_.is_done();
  }
  bool failed() const { return failed_; }

 private:
  static constexpr std::size_t kLowWater = 512 << 10;
  static constexpr std::chrono::milliseconds kTick{250};
  static constexpr const char* kLate = "The request body stopped arriving in time.";
  static constexpr const char* kBroken = "The request body ended early or is badly framed.";

  // Shared with the watchdog, which may run after the reader is gone (then
  // `socket` is null). All on the connection's thread.
  struct Watch {
    Watch(net::any_io_executor e, tcp::socket& s) : timer(e), socket(&s) {}
    net::steady_timer timer;
    tcp::socket* socket;
    bool ticking = false;
    // The read in flight: its deadline and since when it waits.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    std::chrono::steady_clock::time_point since;
    bool expired = false;
    std::size_t low_water = 1;  // the socket's SO_RCVLOWAT
  };
  static void set_low_water(tcp::socket& socket, std::size_t bytes) {
    boost::system::error_code ignore;
    socket.set_option(net::socket_base::receive_low_watermark(static_cast<int>(bytes)), ignore);
  }
  static void tick(const std::shared_ptr<Watch>& w) {
    w->ticking = true;
    w->timer.expires_after(kTick);
    w->timer.async_wait([w](boost::system::error_code ec) {
      w->ticking = false;
      if (ec || !w->socket) return;  // the reader is gone
      if (w->deadline) {
        auto now = std::chrono::steady_clock::now();
        if (now >= *w->deadline) {
          w->expired = true;
          boost::system::error_code ignore;
          w->socket->close(ignore);  // the read ends with operation_aborted
          return;
        }
        if (w->low_water > 1 && now - w->since >= kTick) {
          set_low_water(*w->socket, 1);  // wakes the read if anything is there
          w->low_water = 1;
        }
      }
      tick(w);
    });
  }
  // Before a read of at most `room` bytes: more would never wake it.
  void arm(std::size_t room) {
    auto low_water = std::clamp<std::size_t>(room, 1, kLowWater);
    if (watch_->low_water != low_water) {
      set_low_water(stream_.socket(), low_water);
      watch_->low_water = low_water;
    }
    watch_->expired = false;
    watch_->deadline = read_deadline();
    watch_->since = std::chrono::steady_clock::now();
    if (!watch_->ticking) tick(watch_);
  }

  net::awaitable<std::size_t> read_parsed(net::mutable_buffer into) {
    for (;;) {
      parser_.get().body().data = into.data();
      parser_.get().body().size = into.size();
      arm(1);  // the parser may need a few bytes of framing
      auto [ec, n] = co_await bhttp::async_read_some(stream_.socket(), buffer_, parser_, kTuple);
      watch_->deadline.reset();
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec == bhttp::error::body_limit) {
        failed_ = true;
        throw TooLarge("The request body exceeds the limit for this route.");
      }
      if (ec) fail(watch_->expired ? kLate : kBroken);
      std::size_t got = into.size() - parser_.get().body().size;
      received_ += got;
      if (got > 0) co_return got;
      if (parser_.is_done()) co_return 0;
    }
  }
  [[noreturn]] void fail(const char* why) {
    failed_ = true;
    throw BadRequest(why);
  }
  // Each read gets read_timeout; besides, after a first read_timeout of
  // grace the body must average min_rate, so a client trickling a byte now
  // and then cannot hold the connection and its upload slot for hours.
  std::chrono::steady_clock::time_point read_deadline() const {
    auto now = std::chrono::steady_clock::now();
    auto per_read = now + read_timeout_;
    if (min_rate_ == 0) return per_read;
    auto earned = std::chrono::milliseconds(received_ * 1000 / min_rate_);
    return std::min(per_read, started_ + read_timeout_ + earned);
  }
  beast::tcp_stream& stream_;
  beast::flat_buffer& buffer_;
  bhttp::request_parser<bhttp::buffer_body>& parser_;
  std::chrono::milliseconds read_timeout_;
  std::chrono::milliseconds write_timeout_;
  std::uint64_t min_rate_;
  bool direct_;  // Content-Length: read past the parser
  std::shared_ptr<Watch> watch_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::uint64_t received_ = 0;
  bool continued_ = false;
  bool failed_ = false;
};

}  // namespace

net::awaitable<void> Server::session(tcp::socket socket) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  std::string peer = ec ? std::string("unknown") : remote.address().to_string();
  // Non-blocking for the synchronous attempt each response write makes
  // first (write_response); asynchronous operations are unaffected.
  socket.non_blocking(true, ec);
  beast::tcp_stream stream(std::move(socket));
  // Registered for drain() and the per-address count while the coroutine
  // lives, however it ends, and after it while a takeover holds the lease.
  // A trusted proxy carries many clients: its connections are not counted.
  struct Registration {
    Server& server;
    Connection conn;
    std::string address;  // empty: not counted
    bool over = false;
    Registration(Server& s, Connection c, std::string key) : server(s), conn(c) {
      ++server.connections_;
      std::lock_guard lock(server.mutex_);
      server.open_.push_back(&conn);
      if (key.empty()) return;
      auto& n = server.per_address_[key];
      over = n >= server.settings_.max_connections_per_address;
      ++n;
      address = std::move(key);
    }
    ~Registration() {
      {
        std::lock_guard lock(server.mutex_);
        std::erase(server.open_, &conn);
        if (!address.empty()) {
          auto it = server.per_address_.find(address);
          if (--it->second == 0) server.per_address_.erase(it);
        }
      }
      --server.connections_;
      server.changed_.notify_all();
    }
  };
  auto registration = std::make_shared<Registration>(
      *this, Connection{&stream, true, stream.get_executor()},
      settings_.max_connections_per_address == 0 || pipeline_.trusts(peer) ? std::string()
                                                                           : address_key(peer));
  try {
    if (registration->over) {
      auto res = pipeline_.reject(
          RawRequest{}, peer,
          RateLimited("Too many open connections from this address; reuse or close some.", 1));
      co_await send_and_close(stream, std::move(res), settings_.write_timeout, true);
    } else if (auto handoff = co_await serve_connection(stream, registration->conn, peer)) {
      // A handler took the connection over: it runs here, after the
      // request loop's frame (its parser, buffers and request) is gone, so
      // a long-lived stream keeps only what it needs. drain() leaves it to
      // the takeover (which may outlive this frame and `stream`).
      registration->conn.stream = nullptr;
      co_await handoff->request.takeover->run(stream, handoff->buffer, handoff->request,
                                              handoff->response, registration);
    }
  } catch (const std::exception& e) {
    logger_.error("connection failed", {{"error", e.what()}, {"clientIp", peer}});
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
}

net::awaitable<std::unique_ptr<Server::Handoff>> Server::serve_connection(beast::tcp_stream& stream,
                                                                          Connection& conn,
                                                                          const std::string& peer) {
  // Until a request's header names the client (trusted proxies), the peer.
  std::string client_ip = peer;
  // Holds one request header (at most header_limit, checked below) and what
  // the client sent behind it; bodies pass through in chunks.
  beast::flat_buffer buffer(1024 * 1024);
  std::string response_head;  // each response's head is formatted here
  bool keep_alive = true;
  bool first = true;
  while (keep_alive) {
    client_ip = peer;
    if (buffer.size() == 0) {
      conn.idle = true;
      if (draining_) break;
      // A new connection gets the header deadline for its first byte too;
      // only kept-alive ones wait the idle timeout.
      stream.expires_after(first ? settings_.header_timeout : settings_.idle_timeout);
      auto [rec, n] = co_await stream.async_read_some(buffer.prepare(16 * 1024), kTuple);
      if (rec) break;
      buffer.commit(n);
    }
    conn.idle = false;
    first = false;

    bhttp::request_parser<bhttp::empty_body> head;
    head.header_limit(static_cast<std::uint32_t>(settings_.header_limit + 1));
    // The route decides the body limit, once the header is in.
    head.body_limit(boost::none);
    stream.expires_after(settings_.header_timeout);
    // The whole header block must arrive within the limit (Beast's own
    // header_limit counts only the part it has not consumed yet).
    bool header_complete = false;
    bool header_too_large = false;
    std::size_t header_bytes = 0;
    std::size_t searched = 0;
    for (;;) {
      std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
      auto from = searched > 3 ? searched - 3 : 0;
      auto end = data.find("\r\n\r\n", from);
      if (end != std::string_view::npos) {
        header_bytes = end + 4;
        header_complete = header_bytes <= settings_.header_limit;
        header_too_large = !header_complete;
        break;
      }
      searched = data.size();
      if (data.size() >= settings_.header_limit) {
        header_too_large = true;
        break;
      }
      auto [rec, n] = co_await stream.async_read_some(buffer.prepare(16 * 1024), kTuple);
      if (rec) break;
      buffer.commit(n);
    }
    if (header_too_large) {
      auto res = pipeline_.reject(
          RawRequest{}, client_ip,
          ClientError(ErrorKind::kHeadersTooLarge, "The request headers exceed 16 KiB."));
      co_await send_and_close(stream, std::move(res), settings_.write_timeout, true);
      break;
    }
    if (!header_complete) break;  // closed, timed out or failed mid-header
    // The whole header is in the buffer: parse it in place, without an
    // asynchronous operation.
    boost::system::error_code hec;
    buffer.consume(head.put(net::buffer(buffer.data().data(), header_bytes), hec));
    if (!hec && !head.is_header_done()) hec = bhttp::error::partial_message;
    if (hec) {
      logger_.debug("request header refused", {{"error", hec.message()}, {"clientIp", client_ip}});
      RawRequest seen;
      seen.base() = head.get().base();
      if (hec == bhttp::error::header_limit || hec == bhttp::error::buffer_overflow) {
        auto res = pipeline_.reject(
            seen, client_ip,
            ClientError(ErrorKind::kHeadersTooLarge, "The request headers exceed 16 KiB."));
        co_await send_and_close(stream, std::move(res), settings_.write_timeout, false);
      } else if (hec != bhttp::error::end_of_stream && hec != beast::error::timeout &&
                 hec != net::error::eof && hec != net::error::connection_reset &&
                 hec != net::error::operation_aborted) {
        // Lingering: pipelined bytes behind it must not turn the close into
        // a reset that loses this answer.
        auto res =
            pipeline_.reject(seen, client_ip, BadRequest("The request is not valid HTTP/1.1."));
        co_await send_and_close(stream, std::move(res), settings_.write_timeout, true);
      }
      break;
    }

    auto admission = pipeline_.admit(head.get(), peer);
    client_ip = admission.client_ip;
    if (admission.refusal) {
      // Answered from the header: a body the client sends is never read.
      auto& res = *admission.refusal;
      if (!head.is_done()) {
        co_await send_and_close(stream, std::move(res), settings_.write_timeout, true);
        break;
      }
      keep_alive = head.get().keep_alive() && !draining_;
      res.keep_alive(keep_alive);
      if (co_await write_response(stream, res, response_head, settings_.write_timeout)) break;
      continue;
    }
    const auto policy = admission.body;
    auto too_large = [&](const RawRequest& header) {
      return pipeline_.reject(header, client_ip,
                              TooLarge("The request body exceeds the limit of " +
                                       std::to_string(policy.limit) + " bytes for this route."));
    };
    if (head.content_length() && *head.content_length() > policy.limit) {
      RawRequest seen;
      seen.base() = head.get().base();
      co_await send_and_close(stream, too_large(seen), settings_.write_timeout, true);
      break;
    }

    Request request;
    request.client_ip = client_ip;
    request.admitted = true;
    request.path = std::move(admission.path);
    request.route = admission.match.route;
    request.path_params = std::move(admission.match.params);
    if (policy.streaming) {
      // The handler pulls the body through request.body.
      bhttp::request_parser<bhttp::buffer_body> parser(std::move(head));
      parser.body_limit(policy.limit);
      request.raw.base() = parser.get().base();
      std::optional<SessionBodyReader> reader;
      reader.emplace(stream, buffer, parser, settings_.body_timeout, settings_.write_timeout,
                     settings_.body_min_rate);
      request.body = &*reader;
      const bool client_keep_alive = request.raw.keep_alive();
      auto response = co_await pipeline_.handle(request);
      // A body the handler left unread cannot be skipped safely: close.
      const bool body_done = reader->done();
      keep_alive = client_keep_alive && !draining_ && body_done && !reader->failed();
      // Its watchdog and low-water mark end with the handler.
      request.body = nullptr;
      reader.reset();
      response.keep_alive(keep_alive);
      if (co_await write_response(stream, response, response_head, settings_.write_timeout)) break;
      // Unread body bytes may still be on their way: let the client see the
      // response rather than a reset.
      if (!body_done) co_await lingering_close(stream);
      continue;
    }

    bhttp::request_parser<bhttp::string_body> parser(std::move(head));
    parser.body_limit(policy.limit);
    if (!parser.is_done()) {
      const auto& header = parser.get();
      auto expect = header.find(bhttp::field::expect);
      if (expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
        stream.expires_after(settings_.write_timeout);
        auto [wec, wn] = co_await net::async_write(stream, net::buffer(kContinue), kTuple);
        if (wec) break;
      }
      stream.expires_after(settings_.body_timeout);
      auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
      if (bec == bhttp::error::body_limit) {
        co_await send_and_close(stream, too_large(parser.get()), settings_.write_timeout, true);
        break;
      }
      if (bec) {
        if (bec != beast::error::timeout && bec != net::error::eof &&
            bec != bhttp::error::end_of_stream && bec != net::error::connection_reset &&
            bec != net::error::operation_aborted && bec != bhttp::error::partial_message) {
          auto res =
              pipeline_.reject(parser.get(), client_ip,
                               BadRequest("The request body is not valid HTTP/1.1 framing."));
          co_await send_and_close(stream, std::move(res), settings_.write_timeout, false);
        }
        break;
      }
    }

    request.raw = parser.release();
    const bool client_keep_alive = request.raw.keep_alive();
    auto response = co_await pipeline_.handle(request);
    if (request.takeover &&
        (response.result() == Status::switching_protocols || response.result() == Status::ok)) {
      // The connection is the handler's now (drain() leaves it alone: the
      // handler closes it when the server shuts down).
      auto handoff = std::make_unique<Handoff>();
      if (buffer.size() > 0) {
        auto n = buffer.size();
        net::buffer_copy(handoff->buffer.prepare(n), buffer.data());
        handoff->buffer.commit(n);
      }
      handoff->request = std::move(request);
      handoff->response = std::move(response);
      co_return handoff;
    }
    keep_alive = client_keep_alive && !draining_;
    response.keep_alive(keep_alive);
    if (request.response_body) {
      if (!co_await write_streamed(stream, response, *request.response_body)) break;
      continue;
    }
    if (co_await write_response(stream, response, response_head, settings_.write_timeout)) break;
  }
  co_return nullptr;
}

net::awaitable<bool> Server::write_streamed(beast::tcp_stream& stream, Response& response,
                                            BodySource& source) {
  bhttp::response<bhttp::empty_body> head{response.result(), 11};
  head.base() = response.base();
  bhttp::response_serializer<bhttp::empty_body> serializer(head);
  stream.expires_after(settings_.write_timeout);
  auto [hec, hn] = co_await bhttp::async_write_header(stream, serializer, kTuple);
  if (hec) co_return false;
  std::uint64_t promised = response.has_content_length()
                               ? std::stoull(std::string(response[bhttp::field::content_length]))
                               : 0;
  std::uint64_t sent = 0;
  try {
    for (;;) {
      auto piece = co_await source.next();
      if (piece.empty()) break;
      stream.expires_after(settings_.write_timeout);
      auto [wec, wn] = co_await net::async_write(stream, net::buffer(piece), kTuple);
      if (wec) co_return false;
      sent += piece.size();
    }
  } catch (const std::exception& e) {
    // Headers are out: the only honest signal left is closing early.
    logger_.error("streamed response failed", {{"error", e.what()}});
    co_return false;
  }
  co_return sent == promised&& response.keep_alive();
}

void Server::drain() {
  if (draining_.exchange(true)) return;
  net::post(*contexts_[0], [this] {
    boost::system::error_code ec;
    if (acceptor_) acceptor_->close(ec);
  });
  // Close connections waiting for their next request; the others finish the
  // request in hand and then close.
  {
    std::lock_guard lock(mutex_);
    for (auto* c : open_) {
      net::post(c->executor, [this, c] {
        std::lock_guard inner(mutex_);
        if (std::find(open_.begin(), open_.end(), c) == open_.end() || !c->idle || !c->stream)
          return;
        boost::system::error_code ec;
        c->stream->socket().cancel(ec);
      });
    }
  }
  {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, settings_.drain_timeout, [&] { return connections_.load() == 0; });
  }
  if (connections_.load() != 0)
    logger_.warn("drain timeout: closing connections still open",
                 {{"connections", connections_.load()}});
  for (auto& g : guards_) g.reset();
  for (auto& c : contexts_) c->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::lock_guard lock(mutex_);
  stopped_ = true;
  changed_.notify_all();
}

void Server::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return stopped_; });
}

}  // namespace companion::http
