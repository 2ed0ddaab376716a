#include "modules/notifications/notification_email.hpp"

#include "infra/text/markup.hpp"

namespace companion::notifications {

mail::Mail email_for(const Notification& n, const std::string& to, const std::string& public_url) {
  std::string link;
  if (!public_url.empty() && n.interview_id) {
    link = public_url;
    if (link.back() == '/') link.pop_back();
    link += "/interviews/" + *n.interview_id;
  }
  const std::string footer = "You get this e-mail because e-mails for \"" + n.type +
                             "\" are on. Turn them off in your notification settings.";

  std::string text = n.title + "\n\n" + n.body + "\n";
  if (!link.empty()) text += "\nOpen it: " + link + "\n";
  text += "\n-- \n" + footer + "\n";

  std::string html =
      "<!DOCTYPE html><html><body style=\"font-family:sans-serif;line-height:1.5\">"
      "<h2>" +
      text::escape_markup(n.title) + "</h2><p>" + text::escape_markup(n.body) + "</p>";
  if (!link.empty())
    html += "<p><a href=\"" + text::escape_markup(link) + "\">Open the interview</a></p>";
  html += "<p style=\"color:#666;font-size:small\">" + text::escape_markup(footer) +
          "</p></body></html>";
  return {.to = to, .subject = n.title, .text = std::move(text), .html = std::move(html)};
}

}  // namespace companion::notifications
