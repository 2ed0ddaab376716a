// RecordingsService against a real database (both dialects) and the
// filesystem store: one transaction stores the recording, moves the
// interview and writes the outbox event; a refused upload leaves nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "infra/crypto/encoding.hpp"
#include "infra/log/logger.hpp"
#include "infra/storage/filesystem_blob_store.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/uploads/recordings_service.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/users/users_service.hpp"
#include "support/databases.hpp"

namespace companion::uploads {
namespace {

namespace net = boost::asio;

class RecordingsServiceTest : public test_support::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    migrate();
    store_ = std::make_unique<storage::FilesystemBlobStore>(dir_.path() / "blobs");
    users_ = std::make_unique<users::UsersService>(database(), clock_, ids_);
    keys_ = std::make_unique<users::DataKeys>(database(), crypto::random_bytes(32), clock_);
    interviews_ = std::make_unique<interviews::InterviewsService>(database(), clock_, ids_);
    outbox_ = std::make_unique<outbox::Outbox>(clock_, ids_);
    service_ = std::make_unique<RecordingsService>(database(), storage_pool_, *store_, *keys_,
                                                   *interviews_, *outbox_, clock_, ids_, logger_);
    auto make_user = [&](db::Connection& c) {
      return users_
          ->create_in(c, "r" + crypto::hex_encode(crypto::random_bytes(4)) + "@example.com", "R",
                      "h")
          .id;
    };
    user_ = database().transact(make_user);
    interview_ = run(interviews_->create(user_, {"Recorded"})).id;
    // A short real WAV, made by sox.
    auto wav = dir_.path() / "a.wav";
    auto cmd = "sox -n -r 16000 -c 1 " + wav.string() + " synth 1 sine 300 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "sox is needed (scripts/install-deps.sh)";
    std::ifstream in(wav, std::ios::binary);
    wav_.assign(std::istreambuf_iterator<char>(in), {});
  }
  void TearDown() override {
    service_.reset();
    DatabaseTest::TearDown();
  }

  // Feeds `data` in pieces of 1000 bytes, as the HTTP layer would.
  NextPiece pieces(std::string data) {
    auto shared = std::make_shared<std::string>(std::move(data));
    auto offset = std::make_shared<std::size_t>(0);
    return [shared, offset]() -> net::awaitable<std::string_view> {
      auto n = std::min<std::size_t>(1000, shared->size() - *offset);
      std::string_view piece(shared->data() + *offset, n);
      *offset += n;
      co_return piece;
    };
  }
  interviews::Interview upload(std::string data) {
    NewRecording input{user_, interview_, Consent::kAllParties, std::string("a.wav")};
    return run(service_->store(std::move(input), pieces(std::move(data))));
  }

  test_support::TempDir dir_;
  SystemClock clock_;
  crypto::UuidV7Generator ids_{clock_};
  log::Logger logger_{log::Level::kOff, log::Format::kJson};
  async::BlockingPool storage_pool_{2};
  std::unique_ptr<storage::FilesystemBlobStore> store_;
  std::unique_ptr<users::UsersService> users_;
  std::unique_ptr<users::DataKeys> keys_;
  std::unique_ptr<interviews::InterviewsService> interviews_;
  std::unique_ptr<outbox::Outbox> outbox_;
  std::unique_ptr<RecordingsService> service_;
  std::string user_, interview_, wav_;
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

  auto playback = run(service_->open(user_, interview_));
  std::string back(wav_.size(), '\0');
  EXPECT_EQ(run(service_->read(playback, 0, back)), wav_.size());
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
  EXPECT_EQ(run(interviews_->get(user_, interview_)).status, interviews::Status::kCreated);
  // No object left in the store.
  std::size_t files = 0;
  if (std::filesystem::exists(dir_.path() / "blobs"))
    for (auto& e : std::filesystem::recursive_directory_iterator(dir_.path() / "blobs"))
      files += e.is_regular_file();
  EXPECT_EQ(files, 0u);
}

TEST_P(RecordingsServiceTest, AnotherUsersInterviewIsNotFound) {
  NewRecording input{"someone-else", interview_, Consent::kSelfOnly, std::nullopt};
  EXPECT_THROW(run(service_->store(std::move(input), pieces(wav_))), NotFound);
  EXPECT_THROW(run(service_->open("someone-else", interview_)), NotFound);
}

INSTANTIATE_TEST_SUITE_P(Databases, RecordingsServiceTest, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion::uploads
