#pragma once
// What a controller sees of HTTP: the request with its route, parameters,
// caller and parsed body, and a Beast response.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infra/trace/trace_context.hpp"

namespace companion::http {

namespace bhttp = boost::beast::http;
using RawRequest = bhttp::request<bhttp::string_body>;
using RequestHeader = bhttp::request_header<>;  // what is known before the body
using Response = bhttp::response<bhttp::string_body>;
using Status = bhttp::status;
using Verb = bhttp::verb;

// The authenticated caller.
struct Caller {
  std::string user_id;
  std::string session_id;
};

struct Route;

// A response body produced piece by piece (playback of large files). The
// handler sets Content-Length on the response and Request::response_body;
// the session writes the header, then each piece, with the write deadline.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // The next piece, or an empty view at the end; valid until the next call.
  virtual boost::asio::awaitable<std::string_view> next() = 0;
};

// A request body read piece by piece, for routes that stream (uploads),
// straight into the caller's memory. Each read has the body deadline; the
// route's body limit applies to the total.
class BodyReader {
 public:
  // Spans a read fills at most (more are left alone).
  static constexpr std::size_t kMaxSpans = 64;
  virtual ~BodyReader() = default;
  // Reads the next bytes of the body into `into`, filling its spans in
  // order: what has arrived, as much as fits (at least one byte), or 0 once
  // the body is complete. Throws TooLarge past the limit and BadRequest on
  // bad framing, a timeout or a client that went away.
  virtual boost::asio::awaitable<std::size_t> read(std::span<const std::span<char>> into) = 0;
  virtual std::optional<std::uint64_t> content_length() const = 0;
  virtual std::uint64_t received() const = 0;
  virtual bool done() const = 0;
};

class Request;

// A handler that takes the connection over once its request is accepted
// (a WebSocket, a Server-Sent Events stream): the handler sets it on the
// request and returns the response the pipeline decorated (101 or 200); the
// server then runs it instead of writing that response. `buffer` holds bytes
// the client sent after the request. The connection counts as open (the
// connection limits, drain() waiting for it) while `lease` is held: a
// takeover that moves the socket out of `stream` and carries on in its own
// handlers keeps the lease with it, and run() may return at once (the
// server's frame for the connection is then freed); otherwise the server
// closes the connection when run() returns.
using ConnectionLease = std::shared_ptr<void>;
class Takeover {
 public:
  virtual ~Takeover() = default;
  virtual boost::asio::awaitable<void> run(boost::beast::tcp_stream& stream,
                                           boost::beast::flat_buffer& buffer, Request& request,
                                           Response& response, ConnectionLease lease) = 0;
};

class Request {
 public:
  RawRequest raw;
  std::string request_id;
  // This request's span: in the caller's trace (a valid `traceparent`
  // header), else in a new one. Services get `trace.traceparent()`.
  trace::TraceContext trace;
  std::string client_ip;  // the client's address (behind a trusted proxy, the forwarded one)
  bool admitted = false;  // Pipeline::admit routed it and took its rate limit
  std::string path;       // without the query
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> path_params;
  std::vector<std::pair<std::string, std::string>> query;
  std::optional<Caller> caller;
  boost::json::value json;                    // the parsed body, on routes that take JSON
  BodyReader* body = nullptr;                 // the unread body, on routes that stream it
  std::unique_ptr<BodySource> response_body;  // set by a handler that streams its answer
  std::unique_ptr<Takeover> takeover;         // set by a handler that keeps the connection

  std::string_view path_param(std::string_view name) const;
  std::optional<std::string_view> query_param(std::string_view name) const;
  std::optional<std::string_view> header(std::string_view name) const;
  // The caller on an authenticated route (throws Unauthorized otherwise).
  const Caller& user() const;
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// Response helpers.
Response json_response(Status status, const boost::json::value& body);
Response empty_response(Status status);
// A text body of the given media type (with its charset).
Response text_response(Status status, std::string body, std::string_view content_type);

}  // namespace companion::http
