#include "infra/text/redactor.hpp"

#include <re2/re2.h>

#include <algorithm>

namespace companion::text {
namespace {

std::string digits_of(std::string_view s) {
  std::string d;
  for (char ch : s)
    if (ch >= '0' && ch <= '9') d += ch;
  return d;
}

bool luhn(const std::string& digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// Every match of `re` in `text`, handed to `keep` with its offsets; after
// one `keep` refuses, the search goes on from the next character, so a
// long run that fails a check (a Luhn sum) does not hide a match inside it.
template <class Keep>
void each_match(const re2::RE2& re, std::string_view text, Keep keep) {
  re2::StringPiece input(text.data(), text.size());
  std::size_t pos = 0;
  re2::StringPiece match;
  while (pos <= text.size() && re.Match(input, pos, text.size(), re2::RE2::UNANCHORED, &match, 1)) {
    auto begin = static_cast<std::size_t>(match.data() - text.data());
    auto end = begin + match.size();
    pos = keep(begin, end) && end > begin ? end : begin + 1;
  }
}

bool overlaps(const std::vector<Redaction>& found, std::size_t begin, std::size_t end) {
  return std::any_of(found.begin(), found.end(),
                     [&](const Redaction& r) { return begin < r.end && r.begin < end; });
}

}  // namespace

Redactor::Redactor()
    : email_(std::make_unique<re2::RE2>(
          R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})")),
      // 13 to 19 digits, in groups split by single spaces or dashes.
      card_(std::make_unique<re2::RE2>(R"(\b\d(?:[ \-]?\d){12,18}\b)")),
      // A +country code and/or an (area code), or a word boundary, then
      // digit groups split by spaces, dots or dashes.
      phone_(std::make_unique<re2::RE2>(
          R"((?:\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?|\(\d{1,4}\)[ .\-]?|\b)\d{2,4}(?:[ .\-]?\d{2,4}){1,4}\b)")) {
}

Redactor::~Redactor() = default;

std::vector<Redaction> Redactor::find(std::string_view text) const {
  std::vector<Redaction> found;
  each_match(*email_, text, [&](std::size_t b, std::size_t e) {
    found.push_back({b, e, "[email]"});
    return true;
  });
  // Each later pattern looks at the text with the earlier findings masked,
  // so a phone number cannot run on into a card number.
  std::string masked(text);
  auto mask = [&] {
    for (const auto& r : found) std::fill(masked.begin() + r.begin, masked.begin() + r.end, '#');
  };
  mask();
  each_match(*card_, masked, [&](std::size_t b, std::size_t e) {
    auto d = digits_of(text.substr(b, e - b));
    if (d.size() < 13 || d.size() > 19 || !luhn(d) || overlaps(found, b, e)) return false;
    found.push_back({b, e, "[card]"});
    return true;
  });
  mask();
  each_match(*phone_, masked, [&](std::size_t b, std::size_t e) {
    auto d = digits_of(text.substr(b, e - b));
    if (d.size() < 7 || d.size() > 15 || overlaps(found, b, e)) return false;
    found.push_back({b, e, "[phone]"});
    return true;
  });
  std::sort(found.begin(), found.end(),
            [](const Redaction& a, const Redaction& b) { return a.begin < b.begin; });
  return found;
}

std::string Redactor::redact(std::string_view text) const {
  std::string out;
  std::size_t at = 0;
  for (const auto& r : find(text)) {
    out.append(text.substr(at, r.begin - at));
    out.append(r.label);
    at = r.end;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace companion::text
