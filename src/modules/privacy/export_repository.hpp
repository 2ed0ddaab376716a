#pragma once
// SQL for exports.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"

namespace companion::privacy {

struct Export {
  std::string id;
  std::string user_id;
  std::string status;  // pending, building (shown as pending), ready, failed
  std::optional<std::string> storage_key;
  std::optional<std::int64_t> size_bytes;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
};

class ExportRepository {
 public:
  void insert(db::Connection& c, const Export& e);
  std::optional<Export> find(db::Connection& c, const std::string& user_id, const std::string& id);
  // The user's export still being built, if any.
  std::optional<Export> pending_of(db::Connection& c, const std::string& user_id);
  // Waiting to be built, or held by a builder whose claim ran out.
  std::vector<Export> pending(db::Connection& c, std::int64_t now_ms, int limit);
  // True when this call took it for building until `until_ms`.
  bool claim(db::Connection& c, const std::string& id, std::int64_t now_ms, std::int64_t until_ms);
  // False unless it is still being built (it expired, its user was erased,
  // or another builder took it over).
  bool finish(db::Connection& c, const std::string& id, const std::string& status,
              const std::optional<std::string>& storage_key,
              const std::optional<std::int64_t>& size_bytes);
  std::vector<Export> expired(db::Connection& c, std::int64_t now_ms, int limit);
  void remove(db::Connection& c, const std::string& id);
  std::vector<std::string> keys_of_user(db::Connection& c, const std::string& user_id);
};

}  // namespace companion::privacy
