#pragma once
// Notifications: the pipeline's `notify` stage. Each finished or failed
// interview leaves the user an in-app notification (stored; the realtime
// and e-mail channels read from here as they arrive). Idempotent per event.
#include <boost/asio/awaitable.hpp>

#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/queue/envelope.hpp"
#include "modules/stage.hpp"

namespace companion::notifications {

class NotificationsService {
 public:
  NotificationsService(db::Database& db, const Clock& clock, crypto::UuidV7Generator& ids,
                       log::Logger& logger);

  // The `notify` stage: for analysis.ready and interview.failed.
  boost::asio::awaitable<void> notify(queue::Envelope event);

  // How many notifications the user has (for tests and the coming API).
  boost::asio::awaitable<std::size_t> count(std::string user_id);

  static constexpr modules::Stage kStage = modules::Stage::kNotify;

 private:
  db::Database& db_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  log::Logger& logger_;
  queue::ProcessedEvents processed_;
};

}  // namespace companion::notifications
