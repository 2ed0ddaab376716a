#include "modules/users/users_repository.hpp"

namespace companion::users {
namespace {

constexpr const char* kInsert =
    "INSERT INTO users (id, email, email_normalized, display_name, password_hash, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)";
constexpr const char* kSelectByEmail =
    "SELECT id, email, display_name, password_hash, created_at FROM users "
    "WHERE email_normalized = $1";
constexpr const char* kSelectById =
    "SELECT id, email, display_name, password_hash, created_at FROM users WHERE id = $1";

User from_row(const db::Row& r) {
  return User{r.text(0), r.text(1), r.text(2), r.text(3), r.int64(4)};
}

}  // namespace

void UsersRepository::insert(db::Connection& c, const User& u, const std::string& normalized) {
  c.execute(kInsert, {u.id, u.email, normalized, u.display_name, u.password_hash, u.created_at_ms});
}

std::optional<User> UsersRepository::find_by_email(db::Connection& c,
                                                   const std::string& normalized) {
  auto row = c.query_one(kSelectByEmail, {normalized});
  if (!row) return std::nullopt;
  return from_row(*row);
}

std::optional<User> UsersRepository::find_by_id(db::Connection& c, const std::string& id) {
  auto row = c.query_one(kSelectById, {id});
  if (!row) return std::nullopt;
  return from_row(*row);
}

}  // namespace companion::users
