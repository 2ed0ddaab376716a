#pragma once
// Notifications: the pipeline's `notify` stage leaves the user an in-app
// notification for each finished or failed interview (idempotent per
// event) and announces it (realtime `notification.created`) in the same
// transaction; the user lists them, marks them read and chooses which
// types also come by e-mail.
#include <boost/asio/awaitable.hpp>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/mail/mailer.hpp"
#include "infra/queue/envelope.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/notifications/notification.hpp"
#include "modules/notifications/notifications_repository.hpp"
#include "modules/realtime/realtime_service.hpp"
#include "modules/stage.hpp"
#include "modules/users/users_service.hpp"

namespace companion::notifications {

// E-mail: sent when a mailer is configured and the user has the type on;
// the link points into the web app at `public_url`.
struct EmailDelivery {
  mail::Mailer* mailer = nullptr;       // none: no e-mail
  async::BlockingPool* pool = nullptr;  // where sending blocks
  std::string public_url;
};

class NotificationsService {
 public:
  NotificationsService(db::Database& db, users::DataKeys& keys, const Clock& clock,
                       crypto::UuidV7Generator& ids, interviews::InterviewsService& interviews,
                       users::UsersService& users, realtime::RealtimeService& realtime,
                       EmailDelivery email, log::Logger& logger);

  // The `notify` stage: for analysis.ready and interview.failed. The
  // notification is stored once per event; its e-mail is sent after, and
  // a failure to send throws, so the queue retries the job (with backoff)
  // and only the e-mail is tried again.
  boost::asio::awaitable<void> notify(queue::Envelope event);
  // The job's attempts are spent: its e-mail is marked failed.
  boost::asio::awaitable<void> give_up(queue::Envelope event);

  // For other modules, in their transaction: stores a notification for
  // `n.user_id` (id and time filled in here) and announces it; its e-mail
  // is pending when the user has the type on. `source` names what caused
  // it, for deliver_email afterwards. False when the user is gone.
  bool notify_in(db::Connection& c, Notification n, const std::string& source);
  // Sends the pending e-mail of the notification `source` caused (after
  // its transaction committed); throws mail::MailError when it fails.
  boost::asio::awaitable<void> deliver_email(std::string source);

  // Newest first; `after` is the previous page's nextCursor.
  boost::asio::awaitable<Page> list(std::string user_id, std::optional<std::string> after,
                                    bool unread_only, int limit);
  // 404 for an unknown id or another user's.
  boost::asio::awaitable<Notification> mark_read(std::string user_id, std::string id);
  boost::asio::awaitable<void> mark_all_read(std::string user_id);

  boost::asio::awaitable<EmailSettings> email_settings(std::string user_id);
  // Only the types named change; an unknown type is a ValidationError.
  boost::asio::awaitable<EmailSettings> update_email_settings(std::string user_id,
                                                              EmailSettings changes);

  static constexpr modules::Stage kStage = modules::Stage::kNotify;

 private:
  db::Database& db_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  interviews::InterviewsService& interviews_;
  users::UsersService& users_;
  realtime::RealtimeService& realtime_;
  EmailDelivery email_;
  log::Logger& logger_;
  NotificationsRepository repository_;
  queue::ProcessedEvents processed_;
};

}  // namespace companion::notifications
