#include "infra/mail/smtp_mailer.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <boost/url/parse.hpp>

#include <ctime>
#include <memory>

#include "infra/crypto/digest.hpp"
#include "infra/crypto/encoding.hpp"

namespace companion::mail {
namespace {

bool ascii_printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// A header value: as is when plain ASCII, else RFC 2047 base64 words.
std::string header_text(std::string_view value) {
  if (ascii_printable(value)) return std::string(value);
  std::string out;
  // Words of at most 45 bytes of UTF-8 (60 encoded), never splitting a
  // character.
  std::size_t i = 0;
  while (i < value.size()) {
    std::size_t end = std::min(value.size(), i + 45);
    while (end < value.size() && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + crypto::base64_encode(value.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

// Base64 in lines of 76 characters.
std::string base64_lines(std::string_view bytes) {
  auto encoded = crypto::base64_encode(bytes);
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += 76) {
    out.append(encoded, i, 76);
    out += "\r\n";
  }
  return out;
}

std::string rfc5322_date(std::int64_t now_ms) {
  std::time_t t = now_ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// The address in "Name <a@b>" or "a@b".
std::string address_of(const std::string& from) {
  auto open = from.rfind('<');
  auto close = from.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open)
    return from.substr(open + 1, close - open - 1);
  return from;
}

bool sane_address(std::string_view a) {
  auto at = a.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 >= a.size() || a.size() > 254) return false;
  for (unsigned char c : a)
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == ';') return false;
  return true;
}

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_chunk(char* out, std::size_t size, std::size_t n, void* p) {
  auto* u = static_cast<Upload*>(p);
  auto len = std::min(size * n, u->data.size() - u->offset);
  std::memcpy(out, u->data.data() + u->offset, len);
  u->offset += len;
  return len;
}

}  // namespace

std::string compose(const Mail& mail, const std::string& from, std::int64_t now_ms,
                    const std::string& message_id_domain) {
  const auto boundary = "=_" + crypto::hex_encode(crypto::random_bytes(12));
  std::string m;
  m += "Date: " + rfc5322_date(now_ms) + "\r\n";
  m += "From: " + from + "\r\n";
  m += "To: <" + mail.to + ">\r\n";
  m += "Subject: " + header_text(mail.subject) + "\r\n";
  m += "Message-ID: <" + crypto::hex_encode(crypto::random_bytes(16)) + "@" + message_id_domain +
       ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  if (mail.html.empty()) {
    m += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    m += base64_lines(mail.text);
    return m;
  }
  m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += base64_lines(mail.text);
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += base64_lines(mail.html);
  m += "--" + boundary + "--\r\n";
  return m;
}

SmtpMailer::SmtpMailer(SmtpSettings settings, const Clock& clock)
    : settings_(std::move(settings)), clock_(clock), from_address_(address_of(settings_.from)) {
  auto url = boost::urls::parse_uri(settings_.url);
  if (!url || (url->scheme() != "smtp" && url->scheme() != "smtps") || url->host().empty())
    throw MailError("the SMTP URL must be smtp://HOST[:PORT] or smtps://HOST[:PORT]");
  if (!sane_address(from_address_))
    throw MailError("the sender must be an address, or \"Name <address>\": " + settings_.from);
  if (settings_.from.find_first_of("\r\n") != std::string::npos)
    throw MailError("the sender holds a line break");
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) throw MailError("cannot initialise libcurl");
}

void SmtpMailer::send(const Mail& mail) {
  if (!sane_address(mail.to)) throw MailError("not a deliverable address: " + mail.to);
  auto domain = from_address_.substr(from_address_.find('@') + 1);
  auto message = compose(mail, settings_.from, clock_.now_ms(), domain);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw MailError("libcurl: out of memory");
  auto* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (!settings_.user.empty()) curl_easy_setopt(c, CURLOPT_USERNAME, settings_.user.c_str());
  if (!settings_.password.empty())
    curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.password.c_str());
  // STARTTLS when the server offers it; smtps:// is TLS from the start.
  curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  auto from = "<" + from_address_ + ">";
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(
      curl_slist_append(nullptr, ("<" + mail.to + ">").c_str()), curl_slist_free_all);
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  Upload upload{message};
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_chunk);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<std::int64_t>(settings_.timeout.count(), 10'000)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  auto rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    throw MailError(fmt::format("the mail server did not take the message: {}",
                                *error ? error : curl_easy_strerror(rc)));
}

}  // namespace companion::mail
