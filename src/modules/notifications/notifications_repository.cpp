#include "modules/notifications/notifications_repository.hpp"

namespace companion::notifications {
namespace {

#define NOTIFICATION_COLUMNS \
  "id, user_id, kind, interview_id, title, body, read_at, created_at, source_event, email_status"

constexpr const char* kInsert = "INSERT INTO notifications (" NOTIFICATION_COLUMNS
                                ") SELECT $1, $2, $3, $4, $5, $6, NULL, $7, $8, $9 "
                                "WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)";
constexpr const char* kFirstPage = "SELECT " NOTIFICATION_COLUMNS
                                   " FROM notifications WHERE user_id = $1 "
                                   "ORDER BY id DESC LIMIT $2";
constexpr const char* kPageAfter = "SELECT " NOTIFICATION_COLUMNS
                                   " FROM notifications WHERE user_id = $1 AND id < $3 "
                                   "ORDER BY id DESC LIMIT $2";
constexpr const char* kUnreadFirstPage = "SELECT " NOTIFICATION_COLUMNS
                                         " FROM notifications WHERE user_id = $1 "
                                         "AND read_at IS NULL ORDER BY id DESC LIMIT $2";
constexpr const char* kUnreadPageAfter = "SELECT " NOTIFICATION_COLUMNS
                                         " FROM notifications WHERE user_id = $1 "
                                         "AND read_at IS NULL AND id < $3 ORDER BY id DESC "
                                         "LIMIT $2";
constexpr const char* kUnreadCount =
    "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL";
constexpr const char* kMarkRead =
    "UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND user_id = $2 "
    "RETURNING " NOTIFICATION_COLUMNS;
constexpr const char* kMarkAllRead =
    "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL";
constexpr const char* kPendingEmail = "SELECT " NOTIFICATION_COLUMNS
                                      " FROM notifications WHERE source_event = $1 "
                                      "AND email_status = 'pending'";
constexpr const char* kSetEmailStatus = "UPDATE notifications SET email_status = $2 WHERE id = $1";
constexpr const char* kPreferences =
    "SELECT type, email FROM notification_preferences WHERE user_id = $1";
constexpr const char* kSetPreference =
    "INSERT INTO notification_preferences (user_id, type, email) VALUES ($1, $2, $3) "
    "ON CONFLICT (user_id, type) DO UPDATE SET email = excluded.email";

#undef NOTIFICATION_COLUMNS

constexpr const char* kTitle = "notifications.title";
constexpr const char* kBody = "notifications.body";

Notification from_row(const db::Row& r, const users::FieldSeal& seal) {
  auto id = r.text(0);
  return {.id = id,
          .user_id = r.text(1),
          .type = r.text(2),
          .interview_id = r.optional_text(3),
          .title = seal.open(kTitle, id, r.text(4)),
          .body = seal.open(kBody, id, r.text(5)),
          .read_at_ms = r.optional_int64(6),
          .created_at_ms = r.int64(7),
          .source_event = r.optional_text(8).value_or(""),
          .email_status = r.optional_text(9)};
}

}  // namespace

bool NotificationsRepository::insert(db::Connection& c, const Notification& n) {
  auto seal = keys_.live_fields_for_writing_in(c, n.user_id);
  if (!seal) return false;
  return c.execute(kInsert, {n.id, n.user_id, n.type, n.interview_id,
                             seal->seal(kTitle, n.id, n.title), seal->seal(kBody, n.id, n.body),
                             n.created_at_ms, n.source_event, n.email_status}) == 1;
}

std::vector<Notification> NotificationsRepository::list(db::Connection& c,
                                                        const std::string& user_id,
                                                        const std::optional<std::string>& after,
                                                        bool unread_only, int limit) {
  db::Rows rows;
  if (after)
    rows = c.query(unread_only ? kUnreadPageAfter : kPageAfter, {user_id, limit, *after});
  else
    rows = c.query(unread_only ? kUnreadFirstPage : kFirstPage, {user_id, limit});
  std::vector<Notification> out;
  if (rows.empty()) return out;
  out.reserve(rows.size());
  auto seal = keys_.fields_for_reading_in(c, user_id);
  for (const auto& r : rows) out.push_back(from_row(r, seal));
  return out;
}

std::int64_t NotificationsRepository::unread_count(db::Connection& c, const std::string& user_id) {
  return c.query_one(kUnreadCount, {user_id})->int64(0);
}

std::optional<Notification> NotificationsRepository::mark_read(db::Connection& c,
                                                               const std::string& user_id,
                                                               const std::string& id,
                                                               std::int64_t now_ms) {
  auto row = c.query_one(kMarkRead, {id, user_id, now_ms});
  if (!row) return std::nullopt;
  return from_row(*row, keys_.fields_for_reading_in(c, user_id));
}

std::int64_t NotificationsRepository::mark_all_read(db::Connection& c, const std::string& user_id,
                                                    std::int64_t now_ms) {
  return c.execute(kMarkAllRead, {user_id, now_ms});
}

std::optional<Notification> NotificationsRepository::pending_email(db::Connection& c,
                                                                   const std::string& event_id) {
  auto row = c.query_one(kPendingEmail, {event_id});
  if (!row) return std::nullopt;
  return from_row(*row, keys_.fields_for_reading_in(c, row->text(1)));
}

void NotificationsRepository::set_email_status(db::Connection& c, const std::string& id,
                                               const std::string& status) {
  c.execute(kSetEmailStatus, {id, status});
}

std::map<std::string, bool> NotificationsRepository::email_preferences(db::Connection& c,
                                                                       const std::string& user_id) {
  std::map<std::string, bool> out;
  for (const auto& r : c.query(kPreferences, {user_id})) out[r.text(0)] = r.int64(1) != 0;
  return out;
}

void NotificationsRepository::set_email_preference(db::Connection& c, const std::string& user_id,
                                                   const std::string& type, bool email) {
  c.execute(kSetPreference, {user_id, type, email ? 1 : 0});
}

}  // namespace companion::notifications
