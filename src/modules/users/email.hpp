#pragma once
// Email addresses, as every entry point takes them (register, login, the
// login limiter): one rule for trimming, one normal form, and validation of
// that normal form, so two spellings that validate can never make two
// accounts.
#include <string>
#include <string_view>

namespace companion::users {

// Whitespace at both ends removed: ASCII (space, \t \n \v \f \r) and
// Unicode's (U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
// U+202F, U+205F, U+3000) and U+FEFF. Otherwise as typed: what is shown.
std::string trim_email(std::string_view email);

// trim_email, then ASCII-lowercased: the form that must be unique and that
// lookups compare.
std::string normalize_email(std::string_view email);

// Whether the address, normalised, looks like one: a local part, one @, a
// dotted domain, and no whitespace or control character anywhere.
bool plausible_email(std::string_view email);

}  // namespace companion::users
