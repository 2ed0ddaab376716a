#pragma once
// The e-mail that carries a notification: its title as the subject, its
// body, and a link to the interview in the web app.
#include <string>

#include "infra/mail/mailer.hpp"
#include "modules/notifications/notification.hpp"

namespace companion::notifications {

// `public_url`: where the web app is (https://app.example.com); empty: no link.
mail::Mail email_for(const Notification& n, const std::string& to, const std::string& public_url);

}  // namespace companion::notifications
