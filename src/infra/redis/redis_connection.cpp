#include "infra/redis/redis_connection.hpp"

#include <boost/url/parse.hpp>

#include <charconv>
#include <vector>

namespace companion::redis {

Address parse_url(const std::string& text) {
  auto url = boost::urls::parse_uri(text);
  if (!url || url->scheme() != "redis" || url->host().empty())
    throw RedisError("a Redis URL must be redis://[:password@]host:port[/db]");
  Address a;
  a.host = url->host();
  if (url->has_port()) a.port = url->port_number();
  if (url->has_password()) a.password = url->password();
  auto path = std::string(url->path());
  if (path.size() > 1) {
    auto [end, ec] = std::from_chars(path.data() + 1, path.data() + path.size(), a.database);
    if (ec != std::errc() || end != path.data() + path.size() || a.database < 0)
      throw RedisError("the Redis URL's database must be a number: " + path.substr(1));
  }
  return a;
}

std::string text(const redisReply* r) {
  if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
            r->type == REDIS_REPLY_ERROR))
    return std::string(r->str, r->len);
  return {};
}

Reply command(redisContext* c, std::initializer_list<std::string_view> args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  Reply r(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data())));
  if (!r) throw RedisError(std::string("Redis: ") + c->errstr);
  if (r->type == REDIS_REPLY_ERROR) throw RedisError("Redis refused a command: " + text(r.get()));
  return r;
}

Context connect(const Address& address, std::chrono::milliseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  Context c(redisConnectWithTimeout(address.host.c_str(), address.port, tv));
  if (!c || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    throw RedisError("cannot connect to Redis at " + address.describe() + ": " + why);
  }
  redisSetTimeout(c.get(), tv);
  if (!address.password.empty()) command(c.get(), {"AUTH", address.password});
  if (address.database != 0) command(c.get(), {"SELECT", std::to_string(address.database)});
  return c;
}

}  // namespace companion::redis
