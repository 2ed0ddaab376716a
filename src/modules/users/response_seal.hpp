#pragma once
// Stored idempotent responses sealed with their user's data key
// (field_seal.hpp), for the idempotency store.
#include "infra/idempotency/db_idempotency_store.hpp"
#include "modules/users/data_keys.hpp"

namespace companion::users {

class ResponseSeal final : public idempotency::BodySeal {
 public:
  explicit ResponseSeal(DataKeys& keys) : keys_(keys) {}

  std::optional<std::string> seal_in(db::Connection& c, const std::string& user_id,
                                     const std::string& row, std::string_view body) override {
    auto seal = keys_.live_fields_for_writing_in(c, user_id);
    if (!seal) return std::nullopt;
    return seal->seal(kField, row, body);
  }
  std::string open_in(db::Connection& c, const std::string& user_id, const std::string& row,
                      std::string_view stored) override {
    return keys_.fields_for_reading_in(c, user_id).open(kField, row, stored);
  }

 private:
  static constexpr const char* kField = "idempotency_keys.response_body";
  DataKeys& keys_;
};

}  // namespace companion::users
