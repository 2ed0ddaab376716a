#include "modules/users/users_repository.hpp"

namespace companion::users {
namespace {

constexpr const char* kInsert =
    "INSERT INTO users (id, email, email_normalized, display_name, password_hash, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)";
#define USER_COLUMNS                                                               \
  "id, email, display_name, password_hash, created_at, retention_recording_days, " \
  "retention_transcript_days"
constexpr const char* kSelectByEmail =
    "SELECT " USER_COLUMNS " FROM users WHERE email_normalized = $1";
constexpr const char* kSelectById = "SELECT " USER_COLUMNS " FROM users WHERE id = $1";
#undef USER_COLUMNS
constexpr const char* kSetPassword =
    "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
constexpr const char* kReleaseIdentity =
    "UPDATE users SET email = '', email_normalized = 'erased:' || id, display_name = '', "
    "password_hash = '', retention_recording_days = NULL, retention_transcript_days = NULL, "
    "updated_at = $2 WHERE id = $1";
constexpr const char* kRemove = "DELETE FROM users WHERE id = $1";
constexpr const char* kUpdateProfile =
    "UPDATE users SET display_name = $2, retention_recording_days = $3, "
    "retention_transcript_days = $4, updated_at = $5 WHERE id = $1";

constexpr const char* kSetDisplayName = "UPDATE users SET display_name = $2 WHERE id = $1";
constexpr const char* kDisplayName = "users.display_name";

User from_row(const db::Row& r, const FieldSeal& seal) {
  auto id = r.text(0);
  auto name = seal.open(kDisplayName, id, r.text_view(2));
  return User{std::move(id), r.text(1),           std::move(name),    r.text(3),
              r.int64(4),    r.optional_int64(5), r.optional_int64(6)};
}

}  // namespace

void UsersRepository::insert(db::Connection& c, const User& u, const std::string& normalized) {
  // The key needs the row; the name needs the key.
  c.execute(kInsert, {u.id, u.email, normalized, std::string(), u.password_hash, u.created_at_ms});
  auto seal = keys_.fields_for_writing_in(c, u.id);
  c.execute(kSetDisplayName, {u.id, seal.seal(kDisplayName, u.id, u.display_name)});
}

std::optional<User> UsersRepository::find_by_email(db::Connection& c,
                                                   const std::string& normalized) {
  auto row = c.query_one(kSelectByEmail, {normalized});
  if (!row) return std::nullopt;
  return from_row(*row, keys_.fields_for_reading_in(c, row->text(0)));
}

std::optional<User> UsersRepository::find_by_id(db::Connection& c, const std::string& id) {
  auto row = c.query_one(kSelectById, {id});
  if (!row) return std::nullopt;
  return from_row(*row, keys_.fields_for_reading_in(c, id));
}

void UsersRepository::set_password(db::Connection& c, const std::string& id,
                                   const std::string& password_hash, std::int64_t now_ms) {
  c.execute(kSetPassword, {id, password_hash, now_ms});
}

void UsersRepository::update_profile(db::Connection& c, const User& u, std::int64_t now_ms) {
  auto seal = keys_.fields_for_writing_in(c, u.id);
  c.execute(kUpdateProfile, {u.id, seal.seal(kDisplayName, u.id, u.display_name),
                             u.retention_recording_days, u.retention_transcript_days, now_ms});
}

void UsersRepository::release_identity(db::Connection& c, const std::string& id,
                                       std::int64_t now_ms) {
  c.execute(kReleaseIdentity, {id, now_ms});
}

void UsersRepository::remove(db::Connection& c, const std::string& id) {
  c.execute(kRemove, {id});
}

}  // namespace companion::users
