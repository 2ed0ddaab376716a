// RecordingsService against a real database (both dialects) and the
// filesystem store: one transaction stores the recording, moves the
// interview and writes the outbox event; a refused upload leaves nothing.
#include <gtest/gtest.h>

#include "support/recordings_fixture.hpp"

namespace companion::uploads {
namespace {

class RecordingsServiceTest : public test_support::RecordingsFixture {
 protected:
  interviews::Interview upload(std::string data) {
    NewRecording input{user_, interview_, Consent::kAllParties, std::string("a.wav")};
    return run(recordings_->store(std::move(input), pieces(std::move(data))));
  }
};

TEST_P(RecordingsServiceTest, StoresRecordingInterviewAndEventTogether) {
  auto interview = upload(wav_);
  EXPECT_EQ(interview.status, interviews::Status::kUploaded);
  ASSERT_TRUE(interview.recording_json);
  EXPECT_NE(interview.recording_json->find("\"sizeBytes\":" + std::to_string(wav_.size())),
            std::string::npos);
  EXPECT_EQ(count("recordings"), 1);
  auto events = database()
                    .acquire(db::Access::kWrite)
                    ->query("SELECT topic, aggregate_id, payload, published_at FROM outbox_events");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].text(0), "recording.uploaded");
  EXPECT_EQ(events[0].text(1), interview_);
  EXPECT_NE(events[0].text(2).find(user_), std::string::npos);
  EXPECT_TRUE(events[0].is_null(3));

  auto playback = run(recordings_->open(user_, interview_));
  std::string back(wav_.size(), '\0');
  EXPECT_EQ(run(recordings_->read(playback, 0, back)), wav_.size());
  EXPECT_EQ(back, wav_);
}

TEST_P(RecordingsServiceTest, ReplacingRemovesTheOldBytesAndAddsAnEvent) {
  upload(wav_);
  auto first_key = database()
                       .acquire(db::Access::kWrite)
                       ->query("SELECT storage_key FROM recordings")
                       .front()
                       .text(0);
  upload(wav_);
  EXPECT_EQ(count("recordings"), 1);
  EXPECT_EQ(count("outbox_events"), 2);
  EXPECT_FALSE(store_->size(first_key).has_value());
}

TEST_P(RecordingsServiceTest, ARefusedUploadLeavesNothingBehind) {
  EXPECT_THROW(upload(std::string(10'000, 'x')), UnsupportedMedia);
  EXPECT_THROW(upload(wav_.substr(0, 40)), Unprocessable);  // a header, no audio
  EXPECT_THROW(upload(""), Unprocessable);
  EXPECT_EQ(count("recordings"), 0);
  EXPECT_EQ(count("outbox_events"), 0);
  auto interview = run(interviews_->get(user_, interview_));
  EXPECT_EQ(interview.status, interviews::Status::kFailed);
  ASSERT_TRUE(interview.failure_json);
  EXPECT_NE(interview.failure_json->find("\"stage\":\"upload\""), std::string::npos);
  EXPECT_EQ(stored_files(), 0u);  // no object left in the store
}

TEST_P(RecordingsServiceTest, AnotherUsersInterviewIsNotFound) {
  NewRecording input{"someone-else", interview_, Consent::kSelfOnly, std::nullopt};
  EXPECT_THROW(run(recordings_->store(std::move(input), pieces(wav_))), NotFound);
  EXPECT_THROW(run(recordings_->open("someone-else", interview_)), NotFound);
}

INSTANTIATE_TEST_SUITE_P(Databases, RecordingsServiceTest, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion::uploads
