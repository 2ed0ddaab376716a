#pragma once
// Finds email addresses, phone numbers and payment card numbers in text
// (RE2 patterns; card numbers must pass the Luhn check, phone numbers need
// 7 to 15 digits), so a transcript can be redacted before it is analysed
// or sent to a language model.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace companion::text {

struct Redaction {
  std::size_t begin = 0;  // byte offsets into the text, [begin, end)
  std::size_t end = 0;
  std::string_view label;  // "[email]", "[phone]", "[card]"
};

class Redactor {
 public:
  Redactor();
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // Non-overlapping, in text order.
  std::vector<Redaction> find(std::string_view text) const;
  // The text with each finding replaced by its label.
  std::string redact(std::string_view text) const;

 private:
  std::unique_ptr<re2::RE2> email_;
  std::unique_ptr<re2::RE2> card_;
  std::unique_ptr<re2::RE2> phone_;
};

}  // namespace companion::text
