// Erasure through the composed services (app::Components) on real SQLite
// and PostgreSQL: a job stopped at any step (as a crash would stop it)
// finishes on the next run and leaves the same result, and a copy of a
// ciphertext taken before the erasure cannot be opened after it.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/components.hpp"
#include "app/settings.hpp"
#include "infra/crypto/chunked_cipher.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/log/logger.hpp"
#include "support/databases.hpp"

namespace companion::privacy {
namespace {

using test_support::run;

constexpr const char* kPassword = "correct horse battery";

class Erasure : public ::testing::TestWithParam<db::Dialect> {
 protected:
  void SetUp() override {
    try {
      scratch_ = std::make_unique<test_support::ScratchDatabase>(GetParam());
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    settings_.data_dir = dir_.path().string();
    settings_.database.url = scratch_->url();
    settings_.storage.url = "file:" + (dir_.path() / "blobs").string();
    settings_.jwt_secret = std::string(40, 'k');
    c_ = std::make_unique<app::Components>(settings_, logger_);
  }
  void TearDown() override { c_.reset(); }

  template <class T>
  T go(boost::asio::awaitable<T> task) {
    return run(io_, std::move(task));
  }
  std::int64_t count(const std::string& sql, const std::string& user_id) {
    auto step = [&](db::Connection& c) { return c.query_one(sql, {user_id})->int64(0); };
    return c_->database->transact(step);
  }
  auth::Session sign_up(const std::string& email, int interviews) {
    auto reg = go(c_->auth.register_user(email, kPassword, "Erased Person"));
    for (int i = 0; i < interviews; ++i) {
      interviews::NewInterview in{.title = "Interview " + std::to_string(i)};
      go(c_->interviews.create(reg.user.id, std::move(in)));
    }
    auto claims = c_->jwt.verify(reg.tokens.access_token);
    return {reg.user.id, claims->session_id};
  }
  std::vector<std::string> actions_of(const std::string& user_id) {
    std::vector<std::string> out;
    for (const auto& e : go(c_->audit.list(user_id, std::nullopt, 100)).items)
      out.push_back(e.action);
    return out;
  }

  boost::asio::io_context io_;
  test_support::TempDir dir_;
  std::unique_ptr<test_support::ScratchDatabase> scratch_;
  app::Settings settings_;
  log::Logger logger_{log::Level::kOff, log::Format::kJson};
  std::unique_ptr<app::Components> c_;
};

TEST_P(Erasure, AJobStoppedAtAnyStepFinishesOnTheNextRun) {
  auto kept = sign_up("kept@example.com", 2);
  for (std::string stop : {"objects listed", "interviews", "interviews batch", "objects removed",
                           "payments", "rows", "checkpoint"}) {
    SCOPED_TRACE(stop);
    auto who = sign_up(stop.substr(0, 7) + "@example.com", 120);  // three batches
    go(c_->erasure.request(who, kPassword));
    c_->erasure.on_step([&](std::string_view step) {
      if (step == stop) throw std::runtime_error("crash at " + stop);
    });
    EXPECT_THROW(go(c_->erasure.run_pending()), std::runtime_error);
    c_->erasure.on_step({});
    // Stopped at the checkpoint, the erasure was already complete (its
    // rows gone): the next start's checkpoint folds the WAL in.
    EXPECT_EQ(go(c_->erasure.run_pending()), stop == "checkpoint" ? 0u : 1u);
    EXPECT_EQ(count("SELECT COUNT(*) FROM interviews WHERE user_id = $1", who.user_id), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM users WHERE id = $1", who.user_id), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM refresh_families WHERE user_id = $1", who.user_id), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM erasures WHERE user_id = $1 OR completed_at IS NULL",
                    who.user_id),
              0);
    auto actions = actions_of(who.user_id);
    EXPECT_EQ(std::count(actions.begin(), actions.end(), "user.erased"), 1);
    EXPECT_EQ(std::count(actions.begin(), actions.end(), "user.erasure_requested"), 1);
    EXPECT_EQ(go(c_->erasure.run_pending()), 0u);
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM interviews WHERE user_id = $1", kept.user_id), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM erasures WHERE completed_at IS NOT NULL AND $1 = $1", ""),
            7);
  EXPECT_FALSE(audit::AuditLog::verify(*c_->database).broken_at);
}

TEST_P(Erasure, TokensAreRefusedAndTheEmailIsFreeAtOnce) {
  auto who = sign_up("ada@example.com", 1);
  go(c_->erasure.request(who, kPassword));
  // Before the job has run.
  EXPECT_EQ(count("SELECT COUNT(*) FROM erasures WHERE user_id = $1", who.user_id), 1);
  EXPECT_THROW(go(c_->auth.login("ada@example.com", kPassword)), Unauthorized);
  // Nothing new can be sealed for the account: no new data key.
  EXPECT_THROW(go(c_->data_keys.key_for(who.user_id)), std::runtime_error);
  auto again = go(c_->auth.register_user("ADA@example.com", kPassword, "Ada again"));
  EXPECT_NE(again.user.id, who.user_id);
  EXPECT_EQ(go(c_->erasure.run_pending()), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM users WHERE id = $1", again.user.id), 1);
}

TEST_P(Erasure, ACiphertextCopiedBeforeTheErasureCannotBeOpenedAfter) {
  auto who = sign_up("grace@example.com", 0);
  auto key = go(c_->data_keys.key_for(who.user_id));
  auto copy = crypto::seal_box(key, "recording:1", "a private answer");
  ASSERT_EQ(crypto::open_box(key, "recording:1", copy), "a private answer");
  go(c_->erasure.request(who, kPassword));
  auto existing = [&](db::Connection& c) { return c_->data_keys.existing_key_in(c, who.user_id); };
  EXPECT_FALSE(c_->database->transact(existing)) << "the wrapped key is gone at once";
  go(c_->erasure.run_pending());
  // Not even the master key finds it now: nothing is left to unwrap.
  EXPECT_FALSE(c_->database->transact(existing));
  auto step = [&](db::Connection& c) {
    return c.query_one("SELECT COUNT(*) FROM user_keys")->int64(0);
  };
  EXPECT_EQ(c_->database->transact(step), 0);
  EXPECT_FALSE(crypto::open_box(crypto::random_bytes(crypto::kKeyBytes), "recording:1", copy));
}

TEST_P(Erasure, AWrongPasswordErasesNothing) {
  auto who = sign_up("lin@example.com", 1);
  EXPECT_THROW(go(c_->erasure.request(who, "not the password")), Forbidden);
  EXPECT_EQ(go(c_->erasure.run_pending()), 0u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM interviews WHERE user_id = $1", who.user_id), 1);
  crypto::AccessClaims claims{who.user_id, who.session_id};
  auto token = c_->jwt.sign(claims);
  EXPECT_TRUE(go(c_->auth.authenticate(token)));
}

// The retention sweeper's SQL on both databases: the user's days, capped
// by the operator's, counted from the upload and from the transcript.
TEST_P(Erasure, RetentionRemovesWhatIsPastTheUsersDaysAndTheCap) {
  auto who = sign_up("ret@example.com", 2);
  auto kept = sign_up("kept@example.com", 1);
  users::ProfileChange change;
  change.retention_recording_days = {Patch<std::int64_t>::State::kValue, 30};
  change.retention_transcript_days = {Patch<std::int64_t>::State::kValue, 60};
  go(c_->users.update_profile(who.user_id, std::move(change)));
  auto now = c_->clock.now_ms();
  constexpr std::int64_t kDay = 86'400'000;
  auto seed = [&](db::Connection& c) {
    auto i = 0;
    for (const auto& row : c.query("SELECT id, user_id FROM interviews ORDER BY id")) {
      auto id = row.text(0);
      c.execute(
          "INSERT INTO recordings (id, interview_id, user_id, storage_key, size_bytes, "
          "duration_ms, mime_type, container, codec, channels, sample_rate, consent, consent_at, "
          "uploaded_at) VALUES ($1, $2, $3, $4, 1, 1, 'audio/wav', 'wav', 'pcm', 1, 16000, "
          "'all-parties', $5, $5)",
          {"r" + id, id, row.text(1), "k" + id, now - 45 * kDay});
      c.execute(
          "INSERT INTO transcripts (interview_id, recording_id, engine, language, duration_ms, "
          "speakers, segments, created_at, updated_at) VALUES ($1, $2, 'e', 'en', 1, '[]', '[]', "
          "$3, $3)",
          {id, "r" + id, now - 45 * kDay});
      ++i;
    }
    return i;
  };
  ASSERT_EQ(c_->database->transact(seed), 3);
  // 45 days old: past the user's 30 days for recordings, not their 60 for
  // transcripts; the other user keeps everything.
  auto report = go(c_->retention.sweep(now));
  EXPECT_EQ(report.recordings, 2);
  EXPECT_EQ(report.transcripts, 0);
  report = go(c_->retention.sweep(now + 20 * kDay));
  EXPECT_EQ(report.recordings, 0);
  EXPECT_EQ(report.transcripts, 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM recordings WHERE user_id = $1", kept.user_id), 1);
  auto purged = [&](db::Connection& c) {
    return c.query_one("SELECT purged FROM interviews WHERE user_id = $1 LIMIT 1", {who.user_id})
        ->text(0);
  };
  auto text = c_->database->transact(purged);
  EXPECT_NE(text.find("\"recording\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"transcript\""), std::string::npos) << text;
  EXPECT_FALSE(audit::AuditLog::verify(*c_->database).broken_at);
}

INSTANTIATE_TEST_SUITE_P(Databases, Erasure, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion::privacy
