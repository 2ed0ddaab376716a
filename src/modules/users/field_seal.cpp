#include "modules/users/field_seal.hpp"

#include "infra/crypto/chunked_cipher.hpp"
#include "infra/crypto/encoding.hpp"

namespace companion::users {
namespace {

constexpr std::string_view kPrefix = "sealed:v1:";

std::string context(std::string_view field, std::string_view row) {
  std::string out;
  out.reserve(field.size() + 1 + row.size());
  out.append(field).append(":").append(row);
  return out;
}

}  // namespace

bool FieldSeal::is_sealed(std::string_view stored) {
  return stored.starts_with(kPrefix);
}

std::string FieldSeal::seal(std::string_view field, std::string_view row,
                            std::string_view text) const {
  if (!key_) throw SealedFieldError("no data key to seal " + std::string(field) + " with");
  return std::string(kPrefix) +
         crypto::base64url_encode_public(crypto::seal_box(*key_, context(field, row), text));
}

std::optional<std::string> FieldSeal::seal_optional(std::string_view field, std::string_view row,
                                                    const std::optional<std::string>& text) const {
  if (!text) return std::nullopt;
  return seal(field, row, *text);
}

std::string FieldSeal::open(std::string_view field, std::string_view row,
                            std::string_view stored) const {
  if (!is_sealed(stored)) return std::string(stored);  // written before fields were sealed
  if (shredded_) return {};
  if (!key_)
    throw SealedFieldError(std::string(field) + " of " + std::string(row) +
                           " is sealed with a data key that is gone");
  auto box = crypto::base64url_decode_public(stored.substr(kPrefix.size()));
  if (!box || !crypto::open_box_in_place(*key_, context(field, row), *box))
    throw SealedFieldError(std::string(field) + " of " + std::string(row) +
                           " does not open: altered, or moved from another row");
  return std::move(*box);
}

std::optional<std::string> FieldSeal::open_optional(std::string_view field, std::string_view row,
                                                    std::optional<std::string> stored) const {
  if (!stored) return std::nullopt;
  return open(field, row, std::string_view(*stored));
}

}  // namespace companion::users
