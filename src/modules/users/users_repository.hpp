#pragma once
#include <optional>
#include <string>

#include "infra/db/database.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/users/user.hpp"

namespace companion::users {

// SQL for the users table. Blocking; called inside Database::read/write.
// The display name is stored sealed with the user's data key
// (field_seal.hpp); the email stays in the clear (signing in looks it up).
class UsersRepository {
 public:
  explicit UsersRepository(DataKeys& keys) : keys_(keys) {}

  // Creates the user's data key too. Throws db::Error kUniqueViolation
  // when the email is taken.
  void insert(db::Connection& c, const User& user, const std::string& email_normalized);
  std::optional<User> find_by_email(db::Connection& c, const std::string& email_normalized);
  std::optional<User> find_by_id(db::Connection& c, const std::string& id);
  void set_password(db::Connection& c, const std::string& id, const std::string& password_hash,
                    std::int64_t now_ms);
  // Writes the profile fields of `user` (display name, retention).
  void update_profile(db::Connection& c, const User& user, std::int64_t now_ms);
  // Erasure, at once: the row keeps only its id (the email is free again).
  void release_identity(db::Connection& c, const std::string& id, std::int64_t now_ms);
  // Erasure, at the end: the row goes, and every row that cascades from it.
  void remove(db::Connection& c, const std::string& id);

 private:
  DataKeys& keys_;
};

}  // namespace companion::users
