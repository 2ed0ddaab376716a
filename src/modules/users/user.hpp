#pragma once
#include <cstdint>
#include <string>

#include "modules/users/email.hpp"

namespace companion::users {

struct User {
  std::string id;
  std::string email;  // as the user typed it, trimmed
  std::string display_name;
  std::string password_hash;  // argon2id, encoded with its parameters
  std::int64_t created_at_ms = 0;
};

}  // namespace companion::users
