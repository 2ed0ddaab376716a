#include "modules/users/data_keys.hpp"

#include <cctype>
#include <filesystem>
#include <stdexcept>

#include "infra/crypto/chunked_cipher.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/files/private_files.hpp"

namespace companion::users {
namespace {

constexpr const char* kSelect = "SELECT wrapped_key FROM user_keys WHERE user_id = $1";
constexpr const char* kInsert =
    "INSERT INTO user_keys (user_id, wrapped_key, created_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (user_id) DO NOTHING";
constexpr const char* kDelete = "DELETE FROM user_keys WHERE user_id = $1";
constexpr const char* kAny = "SELECT 1 FROM user_keys LIMIT 1";
// Erasure blanks the row (its email is '') before the key goes: no new key
// after that. (Not the 'erased:' mark of email_normalized: someone may sign
// up as erased:…@example.com.)
constexpr const char* kUserLive = "SELECT 1 FROM users WHERE id = $1 AND email <> ''";

std::string context(const std::string& user_id) {
  return "user-data-key:" + user_id;
}

}  // namespace

DataKeys::DataKeys(db::Database& db, std::string master_key, const Clock& clock)
    : db_(db), master_key_(std::move(master_key)), clock_(clock) {
  if (master_key_.size() != crypto::kKeyBytes)
    throw std::invalid_argument("master key must be 32 bytes");
}

std::string DataKeys::unwrap(const std::string& user_id, const std::string& wrapped) const {
  auto sealed = crypto::base64url_decode(wrapped);
  auto key = sealed ? crypto::open_box(master_key_, context(user_id), *sealed) : std::nullopt;
  if (!key || key->size() != crypto::kKeyBytes)
    throw std::runtime_error("a user data key does not open with this master key");
  return *key;
}

std::optional<std::string> DataKeys::cached(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(user_id);
  if (it == cache_.end()) return std::nullopt;
  if (it->second.until_ms < clock_.now_ms()) {
    cache_.erase(it);
    return std::nullopt;
  }
  return it->second.key;
}

void DataKeys::remember(const std::string& user_id, const std::string& key) {
  std::lock_guard lock(mutex_);
  if (cache_.size() >= kCacheEntries) cache_.clear();  // crude, and rare: bounded
  cache_[user_id] = {key, clock_.now_ms() + kCacheMs};
}

std::optional<std::string> DataKeys::existing_key_in(db::Connection& c,
                                                     const std::string& user_id) {
  if (auto key = cached(user_id)) return key;
  return stored_key_in(c, user_id);
}

FieldSeal DataKeys::fields_for_reading_in(db::Connection& c, const std::string& user_id) {
  if (auto key = existing_key_in(c, user_id)) return FieldSeal(std::move(key));
  if (!c.query_one(kUserLive, {user_id})) return FieldSeal::shredded();
  return FieldSeal(std::nullopt);  // an account from before keys were made with it
}

std::optional<std::string> DataKeys::stored_key_in(db::Connection& c, const std::string& user_id) {
  auto row = c.query_one(kSelect, {user_id});
  if (!row) return std::nullopt;
  auto key = unwrap(user_id, row->text(0));
  // A key this transaction created is not the user's until it commits.
  if (c.in_transaction())
    c.after_commit([this, user_id, key] { remember(user_id, key); });
  else
    remember(user_id, key);
  return key;
}

std::string DataKeys::key_for_in(db::Connection& c, const std::string& user_id) {
  auto key = live_key_for_in(c, user_id);
  if (!key) throw std::runtime_error("the account is being erased (or gone): no data key for it");
  return std::move(*key);
}

std::optional<std::string> DataKeys::live_key_for_in(db::Connection& c,
                                                     const std::string& user_id) {
  if (auto key = stored_key_in(c, user_id)) return key;
  if (!c.query_one(kUserLive, {user_id})) return std::nullopt;
  auto fresh = crypto::random_bytes(crypto::kKeyBytes);
  auto wrapped = crypto::base64url_encode(crypto::seal_box(master_key_, context(user_id), fresh));
  c.execute(kInsert, {user_id, wrapped, clock_.now_ms()});
  // Another request may have won the insert: use whatever is stored.
  return *stored_key_in(c, user_id);
}

boost::asio::awaitable<std::string> DataKeys::key_for(std::string user_id) {
  co_return co_await db_.write([&](db::Connection& c) { return key_for_in(c, user_id); });
}

void DataKeys::destroy_in(db::Connection& c, const std::string& user_id) {
  c.execute(kDelete, {user_id});
  std::lock_guard lock(mutex_);
  cache_.erase(user_id);
}

std::string DataKeys::derive(std::string_view purpose) const {
  return crypto::hmac_sha256(master_key_,
                             "interview-companion derived key\n" + std::string(purpose));
}

bool DataKeys::any_stored_in(db::Connection& c) {
  return c.query_one(kAny).has_value();
}

std::string load_or_create_master_key(const std::optional<std::string>& configured,
                                      const std::string& key_file, bool may_generate) {
  if (configured) {
    auto key = crypto::base64url_decode(*configured);
    if (!key || key->size() != crypto::kKeyBytes)
      throw std::invalid_argument("IC_MASTER_KEY must be the base64url form of 32 bytes");
    return *key;
  }
  std::error_code ec;
  if (!may_generate && !std::filesystem::exists(key_file, ec))
    throw std::invalid_argument(
        "the master key file " + key_file +
        " does not exist, but the database holds user keys wrapped by a master key: restore "
        "the key file (or set IC_MASTER_KEY); a new key would open none of them");
  auto secret = files::load_or_create_secret(
      key_file, [] { return crypto::base64url_encode(crypto::random_bytes(crypto::kKeyBytes)); });
  // A key file written by hand (or a mounted secret) may end in a newline.
  auto text = secret.content;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  auto key = crypto::base64url_decode(text);
  if (!key || key->size() != crypto::kKeyBytes)
    throw std::invalid_argument("the master key in " + key_file + " is not 32 bytes of base64url");
  return *key;
}

}  // namespace companion::users
