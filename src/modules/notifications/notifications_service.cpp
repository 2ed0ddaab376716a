#include "modules/notifications/notifications_service.hpp"

#include <boost/json.hpp>

#include "infra/errors/errors.hpp"
#include "modules/notifications/notification_email.hpp"

namespace companion::notifications {
namespace {

EmailSettings with_defaults(const std::map<std::string, bool>& changed) {
  EmailSettings out;
  for (const auto& t : kTypes) {
    auto it = changed.find(std::string(t.type));
    out[std::string(t.type)] = it == changed.end() ? t.email_by_default : it->second;
  }
  return out;
}

}  // namespace

NotificationsService::NotificationsService(db::Database& db, users::DataKeys& keys,
                                           const Clock& clock, crypto::UuidV7Generator& ids,
                                           interviews::InterviewsService& interviews,
                                           users::UsersService& users,
                                           realtime::RealtimeService& realtime, EmailDelivery email,
                                           log::Logger& logger)
    : db_(db),
      clock_(clock),
      ids_(ids),
      interviews_(interviews),
      users_(users),
      realtime_(realtime),
      email_(std::move(email)),
      logger_(logger),
      repository_(keys) {}

boost::asio::awaitable<void> NotificationsService::notify(queue::Envelope event) {
  const auto user_id = event.field("userId");
  Notification n{.id = ids_.next(), .user_id = user_id};
  if (event.topic == "billing.notice") {
    // Billing words its own notices (payment failed, plan changed, minutes
    // used up); they name no interview.
    n.type = event.field("type");
    n.title = event.field("title");
    n.body = event.field("body");
    if (!is_notification_type(n.type)) co_return;
  } else {
    if (event.topic != "analysis.ready" && event.topic != "interview.failed")
      co_return;  // not ours
    n.interview_id = event.field("interviewId");
    std::string title;
    try {
      title = (co_await interviews_.get(user_id, *n.interview_id)).title;
    } catch (const NotFound&) {
      co_return;  // deleted meanwhile: nobody to tell about it
    }
    if (event.topic == "analysis.ready") {
      n.type = "interview.completed";
      n.title = "Your feedback on \xE2\x80\x9C" + title + "\xE2\x80\x9D is ready";
      n.body = "The transcript, delivery metrics and feedback on each answer are ready to read.";
    } else {
      n.type = "interview.failed";
      n.title = "\xE2\x80\x9C" + title + "\xE2\x80\x9D could not be processed";
      auto reason = event.payload.if_contains("reason");
      n.body = reason && reason->is_string() ? std::string(reason->get_string())
                                             : std::string("Processing stopped.");
      n.body += " You can retry it from the interview.";
    }
  }
  n.created_at_ms = clock_.now_ms();
  co_await db_.write([&](db::Connection& c) {
    if (!processed_.record_in(c, modules::stage_name(kStage), event.event_id, n.created_at_ms))
      return;
    notify_in(c, n, event.event_id);
  });
  logger_.debug("notified",
                {{"userId", user_id}, {"type", n.type}, {"traceId", event.trace().trace_id}});
  if (email_.mailer) co_await deliver_email(event.event_id);
}

bool NotificationsService::notify_in(db::Connection& c, Notification n, const std::string& source) {
  if (n.id.empty()) n.id = ids_.next();
  if (n.created_at_ms == 0) n.created_at_ms = clock_.now_ms();
  n.source_event = source;
  if (email_.mailer && with_defaults(repository_.email_preferences(c, n.user_id))[n.type])
    n.email_status = "pending";
  if (!repository_.insert(c, n)) return false;
  realtime_.append_in(c, {.user_id = n.user_id,
                          .type = std::string(realtime::kNotificationCreated),
                          .interview_id = n.interview_id,
                          .data = to_json(n)});
  return true;
}

boost::asio::awaitable<void> NotificationsService::deliver_email(std::string source) {
  if (!email_.mailer) co_return;
  auto pending =
      co_await db_.read([&](db::Connection& c) { return repository_.pending_email(c, source); });
  if (!pending) co_return;  // none wanted, or sent already
  auto user = co_await users_.find_by_id(pending->user_id);
  if (!user) co_return;
  auto mail = email_for(*pending, user->email, email_.public_url);
  co_await email_.pool->run([&] { email_.mailer->send(mail); });
  co_await db_.write_single(
      [&](db::Connection& c) { repository_.set_email_status(c, pending->id, "sent"); });
  logger_.info("notification e-mailed", {{"notificationId", pending->id}, {"type", pending->type}});
}

boost::asio::awaitable<void> NotificationsService::give_up(queue::Envelope event) {
  co_await db_.write([&](db::Connection& c) {
    if (auto pending = repository_.pending_email(c, event.event_id))
      repository_.set_email_status(c, pending->id, "failed");
  });
  logger_.warn("a notification e-mail could not be sent", {{"eventId", event.event_id}});
}

boost::asio::awaitable<Page> NotificationsService::list(std::string user_id,
                                                        std::optional<std::string> after,
                                                        bool unread_only, int limit) {
  co_return co_await db_.read([&](db::Connection& c) {
    Page page;
    page.items = repository_.list(c, user_id, after, unread_only, limit + 1);
    if (static_cast<int>(page.items.size()) > limit) {
      page.items.resize(static_cast<std::size_t>(limit));
      page.next_cursor = page.items.back().id;
    }
    page.unread_count = repository_.unread_count(c, user_id);
    return page;
  });
}

boost::asio::awaitable<Notification> NotificationsService::mark_read(std::string user_id,
                                                                     std::string id) {
  auto now = clock_.now_ms();
  auto n = co_await db_.write_single(
      [&](db::Connection& c) { return repository_.mark_read(c, user_id, id, now); });
  if (!n) throw NotFound("No notification with this id exists.");
  co_return *n;
}

boost::asio::awaitable<void> NotificationsService::mark_all_read(std::string user_id) {
  auto now = clock_.now_ms();
  co_await db_.write_single(
      [&](db::Connection& c) { return repository_.mark_all_read(c, user_id, now); });
}

boost::asio::awaitable<EmailSettings> NotificationsService::email_settings(std::string user_id) {
  co_return co_await db_.read(
      [&](db::Connection& c) { return with_defaults(repository_.email_preferences(c, user_id)); });
}

boost::asio::awaitable<EmailSettings> NotificationsService::update_email_settings(
    std::string user_id, EmailSettings changes) {
  for (const auto& [type, on] : changes)
    if (!is_notification_type(type))
      throw ValidationError("email." + type, "is not a notification type");
  co_return co_await db_.write([&](db::Connection& c) {
    for (const auto& [type, on] : changes) repository_.set_email_preference(c, user_id, type, on);
    return with_defaults(repository_.email_preferences(c, user_id));
  });
}

}  // namespace companion::notifications
