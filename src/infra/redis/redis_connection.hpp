#pragma once
// One place that turns a redis:// URL into a connected hiredis context
// (AUTH, SELECT, read/write timeouts): the queue and pub/sub share it.
#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace companion::redis {

class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// redis://[:password@]host[:port][/db]
struct Address {
  std::string host;
  int port = 6379;
  std::string password;
  int database = 0;
  std::string describe() const { return host + ":" + std::to_string(port); }
};
// Throws RedisError for anything else.
Address parse_url(const std::string& url);

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// Connects, authenticates and selects the database; every later read or
// write waits at most `timeout`. Throws RedisError.
Context connect(const Address& address, std::chrono::milliseconds timeout);

// Runs one command (binary-safe arguments) and returns its reply; throws
// RedisError on a broken connection or an error reply.
Reply command(redisContext* c, std::initializer_list<std::string_view> args);

// The text of a string or status reply ("" otherwise).
std::string text(const redisReply* r);

}  // namespace companion::redis
