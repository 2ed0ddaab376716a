#include "modules/users/users_service.hpp"

#include "infra/errors/errors.hpp"

namespace companion::users {

UsersService::UsersService(db::Database& db, const Clock& clock, crypto::UuidV7Generator& ids)
    : db_(db), clock_(clock), ids_(ids) {}

User UsersService::create_in(db::Connection& c, std::string email, std::string display_name,
                             std::string password_hash) {
  User user{ids_.next(), trim_email(email), std::move(display_name), std::move(password_hash),
            clock_.now_ms()};
  try {
    repository_.insert(c, user, normalize_email(email));
  } catch (const db::Error& e) {
    if (e.kind() == db::ErrorKind::kUniqueViolation)
      throw Conflict("An account with this email already exists.");
    throw;
  }
  return user;
}

std::optional<User> UsersService::find_by_email_in(db::Connection& c, std::string_view email) {
  return repository_.find_by_email(c, normalize_email(email));
}

boost::asio::awaitable<std::optional<User>> UsersService::find_by_email(std::string email) {
  co_return co_await db_.read(
      [&](db::Connection& c) { return repository_.find_by_email(c, normalize_email(email)); });
}

boost::asio::awaitable<std::optional<User>> UsersService::find_by_id(std::string id) {
  co_return co_await db_.read([&](db::Connection& c) { return repository_.find_by_id(c, id); });
}

}  // namespace companion::users
