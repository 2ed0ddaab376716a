#pragma once
// Each user's data key: 256 random bits, stored only wrapped (sealed) by
// the master key in user_keys. It encrypts the user's recordings and
// exports and seals their personal fields in the database (field_seal.hpp).
// Destroying the wrapped key makes everything encrypted with it unreadable;
// erasure relies on that (crypto-shredding).
#include <boost/asio/awaitable.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "modules/users/field_seal.hpp"

namespace companion::users {

class DataKeys {
 public:
  // master_key: 32 bytes.
  DataKeys(db::Database& db, std::string master_key, const Clock& clock);

  // The user's key, created on first use (concurrent first uses agree);
  // throws for an account that is gone or being erased, so nothing new can
  // be sealed for it after its key was destroyed.
  std::string key_for_in(db::Connection& c, const std::string& user_id);
  // The same, but nullopt instead of throwing.
  std::optional<std::string> live_key_for_in(db::Connection& c, const std::string& user_id);
  boost::asio::awaitable<std::string> key_for(std::string user_id);
  // The key if one exists (nullopt after it was destroyed). Unwrapped keys
  // are kept for up to kCacheMs: every repository call that reads a
  // personal field asks for one, and on PostgreSQL the lookup is a round
  // trip. destroy_in forgets the key here at once; another process may use
  // its copy for up to kCacheMs more (as it trusts a verified session), to
  // read; every write reads the key from user_keys, so nothing new is sealed
  // for an account once its key is destroyed.
  std::optional<std::string> existing_key_in(db::Connection& c, const std::string& user_id);
  // The user's key for sealing personal fields (created on first use, and
  // refused for an account being erased), or for opening them (the key if
  // one exists: values written before sealing open without one).
  FieldSeal fields_for_writing_in(db::Connection& c, const std::string& user_id) {
    return FieldSeal(key_for_in(c, user_id));
  }
  // nullopt for an account that is gone or being erased.
  std::optional<FieldSeal> live_fields_for_writing_in(db::Connection& c,
                                                      const std::string& user_id) {
    auto key = live_key_for_in(c, user_id);
    if (!key) return std::nullopt;
    return FieldSeal(std::move(key));
  }
  // Without a key: FieldSeal::shredded() for an account being erased.
  FieldSeal fields_for_reading_in(db::Connection& c, const std::string& user_id);
  // Crypto-shredding: the wrapped key is deleted.
  void destroy_in(db::Connection& c, const std::string& user_id);
  // Whether any user's key is stored (wrapped by some master key).
  static bool any_stored_in(db::Connection& c);
  // A 32-byte key for one purpose ("audit-subject"), derived from the
  // master key: stable across restarts, and unrelated between purposes.
  std::string derive(std::string_view purpose) const;

 private:
  std::string unwrap(const std::string& user_id, const std::string& wrapped) const;
  // From user_keys, never from the cache (what a write must go by).
  std::optional<std::string> stored_key_in(db::Connection& c, const std::string& user_id);
  std::optional<std::string> cached(const std::string& user_id);
  void remember(const std::string& user_id, const std::string& key);

  static constexpr std::int64_t kCacheMs = 5000;
  static constexpr std::size_t kCacheEntries = 4096;
  struct Cached {
    std::string key;
    std::int64_t until_ms;
  };

  db::Database& db_;
  std::string master_key_;
  const Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Cached> cache_;
};

// The master key: IC_MASTER_KEY (base64url of 32 bytes) when given, else
// the key file (--master-key-file, by default <data-dir>/master-key). With
// no key file, a new key is generated into it (mode 0600, durable before
// it is used: files::load_or_create_secret), but only while
// `may_generate`: once user keys are stored, a missing key file means the
// key was lost or not mounted, and a new one would open none of them.
std::string load_or_create_master_key(const std::optional<std::string>& configured,
                                      const std::string& key_file, bool may_generate = true);

}  // namespace companion::users
