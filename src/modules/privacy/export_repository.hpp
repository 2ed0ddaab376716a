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
  std::string status;  // pending, ready, failed
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
  std::vector<Export> pending(db::Connection& c, int limit);
  // False when the export is gone (expired, or its user erased).
  bool finish(db::Connection& c, const std::string& id, const std::string& status,
              const std::optional<std::string>& storage_key,
              const std::optional<std::int64_t>& size_bytes);
  std::vector<Export> expired(db::Connection& c, std::int64_t now_ms, int limit);
  void remove(db::Connection& c, const std::string& id);
  std::vector<std::string> keys_of_user(db::Connection& c, const std::string& user_id);
};

}  // namespace companion::privacy
