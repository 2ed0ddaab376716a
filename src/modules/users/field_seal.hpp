#pragma once
// Personal text in the database (display names; interview titles,
// companies, roles and job descriptions; transcripts and their checkpoints;
// analyses; notifications; the realtime event log; webhook bodies; stored
// idempotent responses: docs/privacy.md lists them) is stored sealed with its owner's data key:
// XChaCha20-Poly1305, the associated data naming the field and its row ("interviews.title:<id>"),
// so a sealed value copied to another row, column or user does not open. Ids,
// statuses, times and sizes stay in the clear for the queries. Destroying
// the data key (erasure) makes every sealed value of the user unreadable
// at once, in the database files and in any backup of them.
//
// Stored form: "sealed:v1:" + base64url(nonce | ciphertext | tag). A value
// without that prefix was written before fields were sealed; it reads as it
// is and is sealed the next time its row is written.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace companion::users {

// A sealed value that does not open: its owner's key is gone (erased), or
// the value was altered or moved from another row.
class SealedFieldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One user's data key, in hand for one transaction.
class FieldSeal {
 public:
  // No key: the user has none yet (or any more); only values written
  // before sealing open, and seal() throws.
  explicit FieldSeal(std::optional<std::string> key) : key_(std::move(key)) {}
  // The account is being erased and its key is gone: sealed values read as
  // empty (they are unreadable for good), and nothing can be sealed. The
  // pipeline and the sweeps can still settle its rows until they go.
  static FieldSeal shredded() {
    FieldSeal s{std::nullopt};
    s.shredded_ = true;
    return s;
  }

  // `field` is "table.column"; `row` names the row (its key's columns).
  std::string seal(std::string_view field, std::string_view row, std::string_view text) const;
  std::optional<std::string> seal_optional(std::string_view field, std::string_view row,
                                           const std::optional<std::string>& text) const;
  std::string open(std::string_view field, std::string_view row, std::string_view stored) const;
  std::optional<std::string> open_optional(std::string_view field, std::string_view row,
                                           std::optional<std::string> stored) const;

  static bool is_sealed(std::string_view stored);
  bool is_shredded() const { return shredded_; }

 private:
  std::optional<std::string> key_;
  bool shredded_ = false;
};

}  // namespace companion::users
