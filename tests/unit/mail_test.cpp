// An e-mail as it goes over the wire, and the one a notification becomes.
#include <gtest/gtest.h>

#include "infra/crypto/digest.hpp"
#include "infra/mail/mailer.hpp"
#include "modules/notifications/notification_email.hpp"

namespace companion::mail {
namespace {

// The decoded part after the header line naming `type`.
std::string part(const std::string& message, const std::string& type) {
  auto at = message.find("Content-Type: " + type);
  if (at == std::string::npos) return {};
  auto start = message.find("\r\n\r\n", at) + 4;
  auto end = std::min(message.find("--", start), message.size());
  std::string b64;
  for (auto i = start; i < end; ++i)
    if (message[i] != '\r' && message[i] != '\n') b64 += message[i];
  return crypto::base64_decode(b64).value_or("?");
}

TEST(Compose, HeadersAndBothPartsFollowMime) {
  Mail m{.to = "a@example.com",
         .subject =
             "Your feedback on \xE2\x80\x9C"
             "Caf\xC3\xA9"
             "\xE2\x80\x9D is ready",
         .text = "Hello\nworld",
         .html = "<p>Hello</p>"};
  auto out =
      compose(m, "Interview Companion <noreply@example.com>", 1'800'000'000'000, "example.com");
  EXPECT_NE(out.find("Date: Fri, 15 Jan 2027 08:00:00 +0000\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("From: Interview Companion <noreply@example.com>\r\n"), std::string::npos);
  EXPECT_NE(out.find("To: <a@example.com>\r\n"), std::string::npos);
  EXPECT_NE(out.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_EQ(out.find("Caf\xC3\xA9"), std::string::npos) << "raw UTF-8 in a header";
  EXPECT_NE(out.find("@example.com>\r\nMIME-Version: 1.0"), std::string::npos);
  EXPECT_NE(out.find("multipart/alternative"), std::string::npos);
  EXPECT_EQ(part(out, "text/plain"), "Hello\nworld");
  EXPECT_EQ(part(out, "text/html"), "<p>Hello</p>");
  for (std::size_t i = 0, next; i < out.size(); i = next + 2) {
    next = out.find("\r\n", i);
    if (next == std::string::npos) break;
    EXPECT_LE(next - i, 998u) << "a line longer than SMTP allows";
  }
}

TEST(Compose, APlainSubjectStaysReadableAndTextOnlyIsOnePart) {
  auto out = compose({.to = "a@example.com", .subject = "Hello", .text = "x"}, "n@example.com", 0,
                     "example.com");
  EXPECT_NE(out.find("Subject: Hello\r\n"), std::string::npos);
  EXPECT_EQ(out.find("multipart"), std::string::npos);
  EXPECT_EQ(part(out, "text/plain"), "x");
}

TEST(NotificationEmail, LinksToTheInterviewAndEscapesTheHtml) {
  notifications::Notification n{.id = "n1",
                                .user_id = "u",
                                .type = "interview.completed",
                                .interview_id = std::string("i-1"),
                                .title = "Your feedback on <b>x</b> is ready",
                                .body = "Ready & waiting."};
  auto mail = notifications::email_for(n, "a@example.com", "https://app.example/");
  EXPECT_EQ(mail.to, "a@example.com");
  EXPECT_EQ(mail.subject, n.title);
  EXPECT_NE(mail.text.find("https://app.example/interviews/i-1"), std::string::npos);
  EXPECT_NE(mail.html.find("<a href=\"https://app.example/interviews/i-1\">"), std::string::npos);
  EXPECT_NE(mail.html.find("&lt;b&gt;x&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(mail.html.find("Ready &amp; waiting."), std::string::npos);
  auto no_link = notifications::email_for(n, "a@example.com", "");
  EXPECT_EQ(no_link.text.find("http"), std::string::npos);
}

}  // namespace
}  // namespace companion::mail
