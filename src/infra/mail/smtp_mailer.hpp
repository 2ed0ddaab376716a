#pragma once
// Mail over SMTP with libcurl: smtp:// (STARTTLS when the server offers
// it) or smtps://; credentials in the URL or given apart.
#include <chrono>

#include "infra/clock/clock.hpp"
#include "infra/mail/mailer.hpp"

namespace companion::mail {

struct SmtpSettings {
  std::string url;  // smtp://host:port or smtps://host:port
  std::string user;
  std::string password;
  std::string from;  // "Interview Companion <noreply@example.com>" or an address
  std::chrono::milliseconds timeout{30'000};
};

class SmtpMailer final : public Mailer {
 public:
  SmtpMailer(SmtpSettings settings, const Clock& clock);  // throws MailError for bad settings
  void send(const Mail& mail) override;

 private:
  SmtpSettings settings_;
  const Clock& clock_;
  std::string from_address_;  // the address inside `from`
};

}  // namespace companion::mail
