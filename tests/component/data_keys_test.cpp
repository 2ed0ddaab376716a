// Per-user data keys wrapped by the master key, on both databases.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "infra/crypto/encoding.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/users/users_service.hpp"
#include "support/databases.hpp"

namespace companion::users {
namespace {

class DataKeysTest : public test_support::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    migrate();
    keys_ = std::make_unique<DataKeys>(database(), master_, clock_);
    users_ = std::make_unique<UsersService>(database(), *keys_, clock_, ids_);
  }
  void TearDown() override {
    keys_.reset();
    users_.reset();
    DatabaseTest::TearDown();
  }
  std::string make_user() {
    auto fn = [&](db::Connection& c) {
      return users_
          ->create_in(c, "k" + crypto::hex_encode(crypto::random_bytes(4)) + "@example.com", "K",
                      "hash")
          .id;
    };
    return database().transact(fn);
  }
  SystemClock clock_;
  crypto::UuidV7Generator ids_{clock_};
  std::string master_ = crypto::random_bytes(32);
  std::unique_ptr<UsersService> users_;
  std::unique_ptr<DataKeys> keys_;
};

TEST_P(DataKeysTest, OneStableKeyPerUserStoredOnlyWrapped) {
  auto alice = make_user();
  auto bob = make_user();
  auto a1 = run(keys_->key_for(alice));
  auto a2 = run(keys_->key_for(alice));
  auto b = run(keys_->key_for(bob));
  EXPECT_EQ(a1.size(), 32u);
  EXPECT_EQ(a1, a2);
  EXPECT_NE(a1, b);
  auto stored = database().acquire(db::Access::kWrite)->query("SELECT wrapped_key FROM user_keys");
  ASSERT_EQ(stored.size(), 2u);
  for (auto& row : stored) {
    auto raw = crypto::base64url_decode(row.text(0));
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->find(a1), std::string::npos);
    EXPECT_EQ(raw->find(b), std::string::npos);
  }
}

TEST_P(DataKeysTest, ConcurrentFirstUsesAgree) {
  auto user = make_user();
  std::vector<std::string> got(6);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      auto fn = [&](db::Connection& c) { return keys_->key_for_in(c, user); };
      got[i] = database().transact(fn);
    });
  for (auto& t : threads) t.join();
  for (auto& k : got) EXPECT_EQ(k, got[0]);
}

TEST_P(DataKeysTest, ADifferentMasterKeyCannotUnwrapAndDestroyShreds) {
  auto user = make_user();
  run(keys_->key_for(user));
  DataKeys other(database(), crypto::random_bytes(32), clock_);
  EXPECT_THROW(run(other.key_for(user)), std::runtime_error);
  auto destroy = [&](db::Connection& c) { keys_->destroy_in(c, user); };
  database().transact(destroy);
  auto check = [&](db::Connection& c) { return keys_->existing_key_in(c, user); };
  EXPECT_FALSE(database().transact(check).has_value());
}

// Keys are remembered for a few seconds, but only once they are committed:
// a key made in a transaction that rolls back is never used again.
TEST_P(DataKeysTest, AKeyFromARolledBackTransactionIsNotRemembered) {
  auto user = make_user();
  auto destroy = [&](db::Connection& c) { keys_->destroy_in(c, user); };
  database().transact(destroy);  // the key made with the account
  std::string lost;
  auto make_then_fail = [&](db::Connection& c) {
    lost = keys_->key_for_in(c, user);
    EXPECT_EQ(keys_->existing_key_in(c, user), lost) << "seen by its own transaction";
    throw std::runtime_error("rolled back");
  };
  EXPECT_THROW(database().transact(make_then_fail), std::runtime_error);
  EXPECT_FALSE(keys_->existing_key_in(*database().acquire(db::Access::kRead), user));
  auto kept = run(keys_->key_for(user));
  EXPECT_NE(kept, lost);
  EXPECT_EQ(keys_->existing_key_in(*database().acquire(db::Access::kRead), user), kept);
}

TEST_P(DataKeysTest, ADestroyedKeyIsForgottenAtOnce) {
  auto user = make_user();
  auto key = run(keys_->key_for(user));
  EXPECT_EQ(keys_->existing_key_in(*database().acquire(db::Access::kRead), user), key);
  auto destroy = [&](db::Connection& c) { keys_->destroy_in(c, user); };
  database().transact(destroy);
  EXPECT_FALSE(keys_->existing_key_in(*database().acquire(db::Access::kRead), user));
}

// Another process erased the account: this one may still read with the key
// it remembers, but writes go by user_keys, so nothing new is sealed.
TEST_P(DataKeysTest, WritesDoNotTrustARememberedKey) {
  auto user = make_user();
  run(keys_->key_for(user));
  ASSERT_TRUE(keys_->existing_key_in(*database().acquire(db::Access::kRead), user));
  DataKeys elsewhere(database(), master_, clock_);
  auto erase = [&](db::Connection& c) {
    users_->release_identity_in(c, user);
    elsewhere.destroy_in(c, user);
  };
  database().transact(erase);
  auto write = [&](db::Connection& c) { return keys_->live_fields_for_writing_in(c, user); };
  EXPECT_FALSE(database().transact(write).has_value());
  EXPECT_THROW(run(keys_->key_for(user)), std::runtime_error);
}

TEST_P(DataKeysTest, ANewMasterKeyIsNotGeneratedOverStoredUserKeys) {
  auto dir = std::filesystem::temp_directory_path() /
             ("master-" + crypto::hex_encode(crypto::random_bytes(6)));
  std::filesystem::create_directories(dir);
  auto file = (dir / "master-key").string();
  auto any = [](db::Connection& c) { return DataKeys::any_stored_in(c); };
  EXPECT_FALSE(database().transact(any));
  run(keys_->key_for(make_user()));
  ASSERT_TRUE(database().transact(any));
  // The key file is gone (lost, or its mount missing): generating a new key
  // would leave every stored user key unopenable. The start fails instead.
  try {
    load_or_create_master_key(std::nullopt, file, /*may_generate=*/false);
    ADD_FAILURE() << "a master key was generated over stored user keys";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(file));
  // A key file that exists is read as always.
  { std::ofstream(file) << crypto::base64url_encode(master_) << "\n"; }
  EXPECT_EQ(load_or_create_master_key(std::nullopt, file, false), master_);
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Dialects, DataKeysTest, test_support::BothDialects(),
                         test_support::DialectName);

TEST(MasterKey, CreatedOnceWithMode0600AndReadBack) {
  auto dir = std::filesystem::temp_directory_path() /
             ("master-" + crypto::hex_encode(crypto::random_bytes(6)));
  std::filesystem::create_directories(dir);
  auto file = (dir / "master-key").string();
  auto k1 = load_or_create_master_key(std::nullopt, file);
  auto k2 = load_or_create_master_key(std::nullopt, file);
  EXPECT_EQ(k1.size(), 32u);
  EXPECT_EQ(k1, k2);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto configured = crypto::base64url_encode(std::string(32, 'm'));
  EXPECT_EQ(load_or_create_master_key(configured, file), std::string(32, 'm'));
  EXPECT_THROW(load_or_create_master_key(std::string("short"), file), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

TEST(MasterKey, TheFileIsWrittenWhole0600EvenUnderAnOpenUmask) {
  auto old = ::umask(0);  // the old chmod-after-write left it 0666 meanwhile
  auto dir = std::filesystem::temp_directory_path() /
             ("master-" + crypto::hex_encode(crypto::random_bytes(6)));
  std::filesystem::create_directories(dir);
  auto file = dir / "master-key";
  auto key = load_or_create_master_key(std::nullopt, file.string());
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(crypto::base64url_decode(text), key);
  // Only the key file: no temporary left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace companion::users
