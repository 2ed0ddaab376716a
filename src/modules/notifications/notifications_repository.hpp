#pragma once
// The notifications module's tables: notifications and the per-user e-mail
// preferences. Named SQL, both dialects.
#include <optional>
#include <string>

#include "infra/db/database.hpp"
#include "modules/notifications/notification.hpp"
#include "modules/users/data_keys.hpp"

namespace companion::notifications {

// Titles and bodies (which name the interview) are stored sealed with the
// owner's data key (users/field_seal.hpp).
class NotificationsRepository {
 public:
  explicit NotificationsRepository(users::DataKeys& keys) : keys_(keys) {}

  // False when the user no longer exists or is being erased (nothing
  // stored).
  bool insert(db::Connection& c, const Notification& n);
  // Newest first, strictly after the cursor (an id) when there is one.
  std::vector<Notification> list(db::Connection& c, const std::string& user_id,
                                 const std::optional<std::string>& after, bool unread_only,
                                 int limit);
  std::int64_t unread_count(db::Connection& c, const std::string& user_id);
  // Marks it read (keeping an earlier read time); nullopt if not the user's.
  std::optional<Notification> mark_read(db::Connection& c, const std::string& user_id,
                                        const std::string& id, std::int64_t now_ms);
  std::int64_t mark_all_read(db::Connection& c, const std::string& user_id, std::int64_t now_ms);
  // The notification an event caused whose e-mail is still to be sent.
  std::optional<Notification> pending_email(db::Connection& c, const std::string& event_id);
  void set_email_status(db::Connection& c, const std::string& id, const std::string& status);

  // Only the types the user changed.
  std::map<std::string, bool> email_preferences(db::Connection& c, const std::string& user_id);
  void set_email_preference(db::Connection& c, const std::string& user_id, const std::string& type,
                            bool email);

 private:
  users::DataKeys& keys_;
};

}  // namespace companion::notifications
