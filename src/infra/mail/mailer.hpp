#pragma once
// Outgoing e-mail. One implementation: smtp_mailer.cpp (SMTP or SMTPS
// through libcurl).
#include <string>

namespace companion::mail {

struct Mail {
  std::string to;
  std::string subject;
  std::string text;  // the plain-text part
  std::string html;  // the HTML part (empty: text only)
};

class MailError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Blocking; throws MailError when the server did not take it.
  virtual void send(const Mail& mail) = 0;
};

// The message as it goes over the wire (RFC 5322 + MIME): headers with
// non-ASCII words encoded (RFC 2047), multipart/alternative with both
// parts in base64. `message_id_domain` names the Message-ID's right side.
std::string compose(const Mail& mail, const std::string& from, std::int64_t now_ms,
                    const std::string& message_id_domain);

}  // namespace companion::mail
