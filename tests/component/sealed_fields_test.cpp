// Personal fields sealed with the owner's data key, as the repositories
// store them, on both databases: the raw rows hold no plaintext, a value
// moved to another row does not open, rows written before sealing still
// read, and nothing opens once the key is destroyed.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"
#include "modules/analysis/analyses_repository.hpp"
#include "modules/interviews/interviews_repository.hpp"
#include "modules/notifications/notifications_repository.hpp"
#include "modules/transcription/transcripts_repository.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/users/users_service.hpp"
#include "support/databases.hpp"

namespace companion {
namespace {

using users::SealedFieldError;

constexpr const char* kTitle = "Quokka Onsite";
constexpr const char* kCompany = "Zebracorp";
constexpr const char* kJobDescription = "Marmalade pipelines and xylophone tuning";
constexpr const char* kSpoken = "periwinkle";
constexpr const char* kSummary = "tangerine summary";

class SealedFieldsTest : public test_support::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    migrate();
    keys_ = std::make_unique<users::DataKeys>(database(), crypto::random_bytes(32), clock_);
    users_ = std::make_unique<users::UsersService>(database(), *keys_, clock_, ids_);
    interviews_.emplace(*keys_);
    transcripts_.emplace(*keys_);
    analyses_.emplace(*keys_);
    notifications_.emplace(*keys_);
    user_ = make_user();
  }
  void TearDown() override {
    keys_.reset();
    users_.reset();
    DatabaseTest::TearDown();
  }

  std::string make_user() {
    auto fn = [&](db::Connection& c) {
      return users_
          ->create_in(c, "s" + crypto::hex_encode(crypto::random_bytes(4)) + "@example.com", "S",
                      "hash")
          .id;
    };
    return database().transact(fn);
  }

  interviews::Interview make_interview(const std::string& title) {
    interviews::Interview i;
    i.id = ids_.next();
    i.user_id = user_;
    i.title = title;
    i.company = kCompany;
    i.job_description = kJobDescription;
    i.created_at_ms = i.updated_at_ms = clock_.now_ms();
    auto fn = [&](db::Connection& c) { interviews_->insert(c, i); };
    database().transact(fn);
    return i;
  }

  void store_transcript_and_analysis(const std::string& interview_id) {
    transcription::Transcript t;
    t.interview_id = interview_id;
    t.recording_id = "rec-1";
    t.engine = "test";
    t.language = "en-US";
    t.duration = 2.5;
    t.speakers = {{"S1", "Speaker 1", 0}};
    t.segments = {{1, "S1", 0.0, 1.0, kSpoken, {{kSpoken, 0.0, 1.0, 0.9}}}};
    t.created_at_ms = t.updated_at_ms = clock_.now_ms();
    auto fn = [&](db::Connection& c) {
      transcripts_->save(c, user_, t);
      analyses_->save(
          c, user_,
          {interview_id, 1, std::string("{\"summary\":\"") + kSummary + "\",\"speakers\":[]}",
           clock_.now_ms()});
    };
    database().transact(fn);
  }

  std::string raw(const std::string& sql, const std::string& id) {
    return database().acquire(db::Access::kWrite)->query_one(sql, {id})->text(0);
  }
  void exec(const std::string& sql, std::initializer_list<db::Value> params) {
    database().acquire(db::Access::kWrite)->execute(sql, params);
  }
  db::Database::Lease reader() { return database().acquire(db::Access::kRead); }

  SystemClock clock_;
  crypto::UuidV7Generator ids_{clock_};
  std::unique_ptr<users::UsersService> users_;
  std::unique_ptr<users::DataKeys> keys_;
  std::optional<interviews::InterviewsRepository> interviews_;
  std::optional<transcription::TranscriptsRepository> transcripts_;
  std::optional<analysis::AnalysesRepository> analyses_;
  std::optional<notifications::NotificationsRepository> notifications_;
  std::string user_;
};

void expect_sealed(const std::string& stored, const std::string& plaintext) {
  EXPECT_TRUE(stored.starts_with("sealed:v1:")) << stored.substr(0, 40);
  EXPECT_EQ(stored.find(plaintext), std::string::npos) << "plaintext stored: " << plaintext;
}

TEST_P(SealedFieldsTest, TheRowsHoldNoPlaintextAndTheRepositoriesReadItBack) {
  auto i = make_interview(kTitle);
  store_transcript_and_analysis(i.id);
  notifications::Notification n{.id = ids_.next(),
                                .user_id = user_,
                                .type = "interview.completed",
                                .interview_id = i.id,
                                .title = std::string("Your feedback on ") + kTitle,
                                .body = "Ready.",
                                .created_at_ms = clock_.now_ms()};
  auto insert = [&](db::Connection& c) { return notifications_->insert(c, n); };
  ASSERT_TRUE(database().transact(insert));

  expect_sealed(raw("SELECT title FROM interviews WHERE id = $1", i.id), kTitle);
  expect_sealed(raw("SELECT company FROM interviews WHERE id = $1", i.id), kCompany);
  expect_sealed(raw("SELECT job_description FROM interviews WHERE id = $1", i.id), kJobDescription);
  expect_sealed(raw("SELECT segments FROM transcripts WHERE interview_id = $1", i.id), kSpoken);
  expect_sealed(raw("SELECT speakers FROM transcripts WHERE interview_id = $1", i.id), "Speaker 1");
  expect_sealed(raw("SELECT body FROM analyses WHERE interview_id = $1", i.id), kSummary);
  expect_sealed(raw("SELECT title FROM notifications WHERE id = $1", n.id), kTitle);
  // What queries need stays in the clear.
  EXPECT_EQ(raw("SELECT status FROM interviews WHERE id = $1", i.id), "created");
  EXPECT_EQ(raw("SELECT engine FROM transcripts WHERE interview_id = $1", i.id), "test");

  auto c = reader();
  auto found = interviews_->find(*c, user_, i.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->title, kTitle);
  EXPECT_EQ(found->company, kCompany);
  EXPECT_EQ(found->role, std::nullopt);
  EXPECT_EQ(found->job_description, kJobDescription);
  auto page = interviews_->list(*c, user_, std::nullopt, 10);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].title, kTitle);
  auto t = transcripts_->find(*c, user_, i.id);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->segments.size(), 1u);
  EXPECT_EQ(t->segments[0].text, kSpoken);
  EXPECT_EQ(t->speakers.at(0).label, "Speaker 1");
  auto a = analyses_->find(*c, user_, i.id);
  ASSERT_TRUE(a);
  EXPECT_NE(a->body.find(kSummary), std::string::npos);
  auto listed = notifications_->list(*c, user_, std::nullopt, false, 10);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].title, n.title);
}

TEST_P(SealedFieldsTest, CheckpointsAreSealedAndResumeIntact) {
  auto i = make_interview(kTitle);
  exec(
      "INSERT INTO recordings (id, interview_id, user_id, storage_key, size_bytes, duration_ms, "
      "mime_type, container, codec, channels, sample_rate, consent, consent_at, uploaded_at) "
      "VALUES ($1, $2, $3, 'k', 1, 1000, 'audio/wav', 'wav', 'pcm', 1, 16000, '{}', 0, 0)",
      {std::string("rec-1"), i.id, user_});
  asr::TranscribedSegment s;
  s.channel = 0;
  s.begin_sample = 16000;
  s.end_sample = 32000;
  s.text = kSpoken;
  s.words = {{kSpoken, 1.0, 2.0, 0.75}};
  s.voice = {0.25f, -0.5f};
  auto add = [&](db::Connection& c) { transcripts_->add_checkpoints(c, user_, "rec-1", {s}); };
  database().transact(add);

  expect_sealed(raw("SELECT text FROM transcript_checkpoints WHERE recording_id = $1", "rec-1"),
                kSpoken);
  expect_sealed(raw("SELECT words FROM transcript_checkpoints WHERE recording_id = $1", "rec-1"),
                kSpoken);
  expect_sealed(raw("SELECT voice FROM transcript_checkpoints WHERE recording_id = $1", "rec-1"),
                "0.25");
  auto done = transcripts_->checkpoints(*reader(), user_, "rec-1");
  ASSERT_EQ(done.size(), 1u);
  const auto& back = done.begin()->second;
  EXPECT_EQ(back.text, kSpoken);
  ASSERT_EQ(back.words.size(), 1u);
  EXPECT_EQ(back.words[0].confidence, 0.75);
  EXPECT_EQ(back.voice, s.voice);
}

TEST_P(SealedFieldsTest, AValueCopiedToAnotherRowOrColumnDoesNotOpen) {
  auto a = make_interview("First");
  auto b = make_interview("Second");
  auto title_of_a = raw("SELECT title FROM interviews WHERE id = $1", a.id);
  exec("UPDATE interviews SET title = $1 WHERE id = $2", {title_of_a, b.id});
  EXPECT_THROW(interviews_->find(*reader(), user_, b.id), SealedFieldError);
  EXPECT_EQ(interviews_->find(*reader(), user_, a.id)->title, "First");

  auto c = make_interview("Third");
  exec("UPDATE interviews SET company = title WHERE id = $1", {c.id});
  EXPECT_THROW(interviews_->find(*reader(), user_, c.id), SealedFieldError);
}

TEST_P(SealedFieldsTest, AnotherUsersRowsDoNotOpenWithTheirKey) {
  auto i = make_interview(kTitle);
  store_transcript_and_analysis(i.id);
  auto other = make_user();
  // As if the other user's id were on these rows: their key opens nothing.
  EXPECT_THROW(transcripts_->find(*reader(), other, i.id), SealedFieldError);
  auto seal_other = [&](db::Connection& c) { keys_->key_for_in(c, other); };
  database().transact(seal_other);
  EXPECT_THROW(transcripts_->find(*reader(), other, i.id), SealedFieldError);
  EXPECT_THROW(analyses_->find(*reader(), other, i.id), SealedFieldError);
}

TEST_P(SealedFieldsTest, RowsWrittenBeforeSealingReadAndAreSealedWhenNextWritten) {
  auto i = make_interview("placeholder");
  exec("UPDATE interviews SET title = $1, company = NULL WHERE id = $2",
       {std::string("Written in plaintext"), i.id});
  auto found = interviews_->find(*reader(), user_, i.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->title, "Written in plaintext");
  auto update = [&](db::Connection& c) { interviews_->update(c, *found); };
  database().transact(update);
  expect_sealed(raw("SELECT title FROM interviews WHERE id = $1", i.id), "Written in plaintext");
  EXPECT_EQ(interviews_->find(*reader(), user_, i.id)->title, "Written in plaintext");
}

TEST_P(SealedFieldsTest, NothingOpensOnceTheDataKeyIsDestroyed) {
  auto i = make_interview(kTitle);
  store_transcript_and_analysis(i.id);
  auto destroy = [&](db::Connection& c) { keys_->destroy_in(c, user_); };
  database().transact(destroy);
  auto c = reader();
  EXPECT_THROW(interviews_->find(*c, user_, i.id), SealedFieldError);
  EXPECT_THROW(transcripts_->find(*c, user_, i.id), SealedFieldError);
  EXPECT_THROW(analyses_->find(*c, user_, i.id), SealedFieldError);
}

TEST_P(SealedFieldsTest, NoNotificationIsStoredForAnAccountBeingErased) {
  auto release = [&](db::Connection& c) { users_->release_identity_in(c, user_); };
  database().transact(release);
  auto destroy = [&](db::Connection& c) { keys_->destroy_in(c, user_); };
  database().transact(destroy);
  notifications::Notification n{.id = ids_.next(),
                                .user_id = user_,
                                .type = "export.ready",
                                .title = "Your data export is ready",
                                .body = "",
                                .created_at_ms = clock_.now_ms()};
  auto insert = [&](db::Connection& c) { return notifications_->insert(c, n); };
  EXPECT_FALSE(database().transact(insert));
  EXPECT_FALSE(keys_->existing_key_in(*reader(), user_)) << "no new key for an erased account";
}

// Erasure's first step blanks the account and destroys its key; until its
// job removes the rows, the pipeline and the sweeps may still touch them.
TEST_P(SealedFieldsTest, AnAccountBeingErasedCanBeSettledButNothingNewIsStored) {
  auto i = make_interview(kTitle);
  store_transcript_and_analysis(i.id);
  auto stored_title = raw("SELECT title FROM interviews WHERE id = $1", i.id);
  auto erase = [&](db::Connection& c) {
    users_->release_identity_in(c, user_);
    keys_->destroy_in(c, user_);
  };
  database().transact(erase);

  auto found = interviews_->find(*reader(), user_, i.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->title, "") << "unreadable for good";
  EXPECT_FALSE(transcripts_->find(*reader(), user_, i.id));
  EXPECT_FALSE(analyses_->find(*reader(), user_, i.id));

  found->status = interviews::Status::kFailed;
  auto settle = [&](db::Connection& c) {
    interviews_->update(c, *found);
    transcription::Transcript t;
    t.interview_id = i.id;
    t.recording_id = "rec-2";
    t.engine = "test";
    t.language = "en-US";
    transcripts_->save(c, user_, t);
    analyses_->save(c, user_, {i.id, 2, "{}", clock_.now_ms()});
  };
  database().transact(settle);
  EXPECT_EQ(raw("SELECT status FROM interviews WHERE id = $1", i.id), "failed");
  EXPECT_EQ(raw("SELECT title FROM interviews WHERE id = $1", i.id), stored_title);
  EXPECT_EQ(raw("SELECT recording_id FROM transcripts WHERE interview_id = $1", i.id), "rec-1");
  EXPECT_EQ(raw("SELECT version FROM analyses WHERE interview_id = $1", i.id), "1");
  EXPECT_FALSE(keys_->existing_key_in(*reader(), user_)) << "no new key";
}

TEST_P(SealedFieldsTest, AnEmailThatLooksLikeTheErasureMarkStillGetsAKey) {
  auto make = [&](db::Connection& c) {
    return users_->create_in(c, "erased:someone@example.com", "Someone", "hash").id;
  };
  auto id = database().transact(make);
  EXPECT_TRUE(keys_->existing_key_in(*reader(), id));
  EXPECT_EQ(run(users_->find_by_id(id))->display_name, "Someone");
}

INSTANTIATE_TEST_SUITE_P(Dialects, SealedFieldsTest, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion
