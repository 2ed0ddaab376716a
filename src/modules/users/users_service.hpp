#pragma once
// Users: creating accounts and reading profiles. The auth module calls this
// header; nothing outside the module touches the users table.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>

#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "modules/users/user.hpp"
#include "modules/users/users_repository.hpp"

namespace companion::users {

// The longest retention anyone can ask for: 100 years.
inline constexpr std::int64_t kRetentionDaysLimit = 36'500;

struct UsersSettings {
  // The operator's ceiling on any retention (--retention-max-days); none
  // when nullopt.
  std::optional<std::int64_t> retention_max_days;
};

class UsersService {
 public:
  // `keys` seal the display name.
  UsersService(db::Database& db, DataKeys& keys, const Clock& clock, crypto::UuidV7Generator& ids,
               UsersSettings settings = {});

  // Inserts the user inside the caller's transaction; throws Conflict when
  // the email (case-insensitively) is taken.
  User create_in(db::Connection& c, std::string email, std::string display_name,
                 std::string password_hash);
  std::optional<User> find_by_email_in(db::Connection& c, std::string_view email);
  boost::asio::awaitable<std::optional<User>> find_by_email(std::string email);
  boost::asio::awaitable<std::optional<User>> find_by_id(std::string id);
  std::optional<User> find_by_id_in(db::Connection& c, const std::string& id);
  void set_password_in(db::Connection& c, const std::string& id, const std::string& hash);
  // Validates (a ValidationError names the field) and applies the change;
  // NotFound when the account is gone.
  boost::asio::awaitable<User> update_profile(std::string id, ProfileChange change);
  const UsersSettings& settings() const { return settings_; }
  // Erasure: the email, name and password go at once (the email can sign
  // up again), the row itself at the end of the erasure job.
  void release_identity_in(db::Connection& c, const std::string& id);
  void remove_in(db::Connection& c, const std::string& id);

 private:
  db::Database& db_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  UsersSettings settings_;
  UsersRepository repository_;
};

}  // namespace companion::users
