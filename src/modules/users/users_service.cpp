#include "modules/users/users_service.hpp"

#include "infra/errors/errors.hpp"

namespace companion::users {

UsersService::UsersService(db::Database& db, DataKeys& keys, const Clock& clock,
                           crypto::UuidV7Generator& ids, UsersSettings settings)
    : db_(db), clock_(clock), ids_(ids), settings_(settings), repository_(keys) {}

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

std::optional<User> UsersService::find_by_id_in(db::Connection& c, const std::string& id) {
  return repository_.find_by_id(c, id);
}

void UsersService::set_password_in(db::Connection& c, const std::string& id,
                                   const std::string& hash) {
  repository_.set_password(c, id, hash, clock_.now_ms());
}

boost::asio::awaitable<User> UsersService::update_profile(std::string id, ProfileChange change) {
  std::vector<FieldError> errors;
  auto check_days = [&](const char* field, const Patch<std::int64_t>& v) {
    if (v.state != Patch<std::int64_t>::State::kValue) return;
    auto max = settings_.retention_max_days.value_or(kRetentionDaysLimit);
    if (v.value < 1 || v.value > max)
      errors.push_back({field, "must be null (keep) or a whole number of days from 1 to " +
                                   std::to_string(max)});
  };
  check_days("retention.recordingDays", change.retention_recording_days);
  check_days("retention.transcriptDays", change.retention_transcript_days);
  if (!errors.empty()) throw ValidationError(std::move(errors));
  auto user = co_await db_.write([&](db::Connection& c) {
    auto user = repository_.find_by_id(c, id);
    if (!user) return user;
    if (change.display_name) user->display_name = *change.display_name;
    if (change.retention_recording_days.present())
      user->retention_recording_days = change.retention_recording_days.as_optional();
    if (change.retention_transcript_days.present())
      user->retention_transcript_days = change.retention_transcript_days.as_optional();
    repository_.update_profile(c, *user, clock_.now_ms());
    return user;
  });
  if (!user) throw NotFound("The account no longer exists.");
  co_return *user;
}

void UsersService::release_identity_in(db::Connection& c, const std::string& id) {
  repository_.release_identity(c, id, clock_.now_ms());
}

void UsersService::remove_in(db::Connection& c, const std::string& id) {
  repository_.remove(c, id);
}

}  // namespace companion::users
