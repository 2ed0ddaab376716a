// TusService against a real database (both dialects) and the filesystem
// store: two instances never interleave an upload's bytes, an interrupted
// chunk keeps what arrived, the sweeper finishes and expires uploads.
#include <gtest/gtest.h>

#include <filesystem>

#include "infra/crypto/digest.hpp"
#include "infra/errors/errors.hpp"
#include "infra/storage/sealed_blob.hpp"
#include "modules/uploads/tus_service.hpp"
#include "modules/uploads/uploads_repository.hpp"
#include "support/recordings_fixture.hpp"

namespace companion::uploads {
namespace {

using namespace std::chrono_literals;

class TusServiceTest : public test_support::RecordingsFixture {
 protected:
  void SetUp() override {
    RecordingsFixture::SetUp();
    if (HasFatalFailure()) return;
    tus_ = make_service();
  }
  void TearDown() override {
    tus_.reset();
    RecordingsFixture::TearDown();
  }
  // Another instance of the service over the same database and store.
  std::unique_ptr<TusService> make_service() {
    return std::make_unique<TusService>(TusSettings{.expiry = 1h}, database(), storage_pool_,
                                        *store_, *keys_, *interviews_, *recordings_, clock_, ids_,
                                        logger_);
  }
  Upload create(std::uint64_t length) {
    CreateUpload in;
    in.user_id = user_;
    in.length = length;
    in.metadata = "interviewId " + crypto::base64_encode(interview_) + ",consent " +
                  crypto::base64_encode("all-parties");
    return run(tus_->create(std::move(in)));
  }
  AppendChunk chunk(const Upload& u, std::uint64_t offset) {
    AppendChunk c;
    c.user_id = user_;
    c.upload_id = u.id;
    c.offset = offset;
    return c;
  }
  interviews::Status status() { return run(interviews_->get(user_, interview_)).status; }

  std::unique_ptr<TusService> tus_;
};

TEST_P(TusServiceTest, ChunksBecomeTheRecordingWithoutBeingRewritten) {
  auto u = create(wav_.size());
  EXPECT_EQ(status(), interviews::Status::kCreated);
  auto first = run(tus_->append(chunk(u, 0), pieces(wav_.substr(0, 5000))));
  EXPECT_EQ(first.upload.offset, 5000u);
  EXPECT_FALSE(first.interview);
  EXPECT_EQ(status(), interviews::Status::kUploading);
  auto last = run(tus_->append(chunk(u, 5000), pieces(wav_.substr(5000))));
  ASSERT_TRUE(last.interview);
  EXPECT_EQ(last.interview->status, interviews::Status::kUploaded);
  EXPECT_EQ(count("upload_segments"), 0);  // the segments now belong to the recording
  EXPECT_EQ(stored_files(), 2u);
  auto playback = run(recordings_->open(user_, interview_));
  std::string back(wav_.size(), '\0');
  EXPECT_EQ(run(recordings_->read(playback, 0, back)), wav_.size());
  EXPECT_EQ(back, wav_);
}

// Instance B writes the chunk while A is still streaming the same offset:
// A's commit finds the offset moved and is refused, and its bytes go.
TEST_P(TusServiceTest, TwoInstancesNeverInterleaveAnUploadsBytes) {
  auto u = create(wav_.size());
  auto other = make_service();
  auto data = std::make_shared<std::string>(wav_.substr(0, 6000));
  auto sent = std::make_shared<std::size_t>(0);
  test_support::NextPiece a_pieces = [&, data, sent]() -> boost::asio::awaitable<std::string_view> {
    if (*sent == 3000) {
      auto b_chunk = chunk(u, 0);
      auto b_pieces = pieces(wav_.substr(0, 4000));
      co_await other->append(std::move(b_chunk), std::move(b_pieces));
    }
    auto n = std::min<std::size_t>(1000, data->size() - *sent);
    std::string_view piece(data->data() + *sent, n);
    *sent += n;
    co_return piece;
  };
  EXPECT_THROW(run(tus_->append(chunk(u, 0), test_support::read_pieces(std::move(a_pieces)))),
               Conflict);
  auto now = run(tus_->get(user_, u.id));
  EXPECT_EQ(now.offset, 4000u);
  EXPECT_EQ(count("upload_segments"), 1);
  EXPECT_EQ(stored_files(), 1u);
}

TEST_P(TusServiceTest, ASecondWriterOnOneInstanceIsRefusedAtOnce) {
  auto u = create(wav_.size());
  bool refused = false;
  auto data = std::make_shared<std::string>(wav_.substr(0, 2000));
  auto sent = std::make_shared<std::size_t>(0);
  test_support::NextPiece a_pieces = [&, data, sent]() -> boost::asio::awaitable<std::string_view> {
    if (*sent == 1000) {
      try {
        auto second = chunk(u, 0);
        co_await tus_->append(std::move(second), pieces("x"));
      } catch (const Conflict&) {
        refused = true;
      }
    }
    auto n = std::min<std::size_t>(1000, data->size() - *sent);
    std::string_view piece(data->data() + *sent, n);
    *sent += n;
    co_return piece;
  };
  EXPECT_EQ(
      run(tus_->append(chunk(u, 0), test_support::read_pieces(std::move(a_pieces)))).upload.offset,
      2000u);
  EXPECT_TRUE(refused);
}

ReadBody breaking_after(std::string data) {
  auto shared = std::make_shared<std::string>(std::move(data));
  auto sent = std::make_shared<bool>(false);
  return test_support::read_pieces([shared, sent]() -> boost::asio::awaitable<std::string_view> {
    if (*sent) throw BadRequest("The request body ended early or is badly framed.");
    *sent = true;
    co_return std::string_view(*shared);
  });
}

TEST_P(TusServiceTest, AnInterruptedChunkKeepsWhatArrivedUnlessItHadAChecksum) {
  auto u = create(wav_.size());
  EXPECT_THROW(run(tus_->append(chunk(u, 0), breaking_after(wav_.substr(0, 7000)))), BadRequest);
  EXPECT_EQ(run(tus_->get(user_, u.id)).offset, 7000u);
  auto with_checksum = chunk(u, 7000);
  with_checksum.checksum = Checksum{"sha1", std::string(20, '\0')};
  EXPECT_THROW(run(tus_->append(std::move(with_checksum), breaking_after(wav_.substr(7000, 100)))),
               BadRequest);
  EXPECT_EQ(run(tus_->get(user_, u.id)).offset, 7000u);
  EXPECT_EQ(stored_files(), 1u);
}

// A client retries a concatenation whose answer it did not get. The first
// attempt committed (the partial uploads are the final upload's now) and
// then failed to finish: the store could not be read. The retry finds that
// upload and finishes it; another retry answers it again; the same parts
// under other metadata are still refused.
TEST_P(TusServiceTest, ARetriedConcatenationFinishesTheUploadTheFirstAttemptMade) {
  const auto half = wav_.size() / 2;
  auto partial = [&](std::uint64_t offset, std::uint64_t length) {
    CreateUpload in;
    in.user_id = user_;
    in.length = length;
    in.concat = "partial";
    auto u = run(tus_->create(std::move(in)));
    run(tus_->append(chunk(u, 0), pieces(wav_.substr(offset, length))));
    return u.id;
  };
  auto first = partial(0, half);
  auto second = partial(half, wav_.size() - half);
  auto final_upload = [&](std::string metadata) {
    CreateUpload in;
    in.user_id = user_;
    in.concat = "final;/v1/uploads/" + first + " /v1/uploads/" + second;
    in.metadata = std::move(metadata);
    return run(tus_->create(std::move(in)));
  };
  const auto metadata = "interviewId " + crypto::base64_encode(interview_) + ",consent " +
                        crypto::base64_encode("all-parties");

  const auto blobs = dir_.path() / "blobs";
  std::filesystem::rename(blobs, dir_.path() / "away");
  EXPECT_ANY_THROW(final_upload(metadata));
  std::filesystem::rename(dir_.path() / "away", blobs);
  EXPECT_EQ(status(), interviews::Status::kUploading);

  auto retried = final_upload(metadata);
  EXPECT_TRUE(retried.completed_at_ms);
  EXPECT_EQ(status(), interviews::Status::kUploaded);
  auto playback = run(recordings_->open(user_, interview_));
  std::string back(wav_.size(), '\0');
  EXPECT_EQ(run(recordings_->read(playback, 0, back)), wav_.size());
  EXPECT_EQ(back, wav_);

  EXPECT_EQ(final_upload(metadata).id, retried.id);
  EXPECT_EQ(status(), interviews::Status::kUploaded);
  EXPECT_THROW(final_upload(metadata + ",filename " + crypto::base64_encode("other.wav")),
               ValidationError);
}

// The process stopped between the last chunk and the recording: the sweeper
// finishes the upload.
TEST_P(TusServiceTest, TheSweeperFinishesAnUploadThatHasEveryByte) {
  auto u = create(wav_.size());
  auto key = run(keys_->key_for(user_));
  storage::SealedWriter writer(*store_, "uploads/x/" + u.id + "/0-a", key);
  writer.write(wav_);
  writer.finish();
  UploadsRepository repository;
  auto commit = [&](db::Connection& c) {
    UploadSegment segment{0, wav_.size(), "uploads/x/" + u.id + "/0-a"};
    return repository.append_segment(c, u.id, 0, segment, clock_.now_ms() + 1000);
  };
  ASSERT_TRUE(database().transact(commit));
  auto report = run(tus_->sweep());
  EXPECT_EQ(report.finished, 1u);
  EXPECT_EQ(status(), interviews::Status::kUploaded);
  EXPECT_EQ(run(tus_->sweep()).finished, 0u);
}

TEST_P(TusServiceTest, ExpiredUploadsGoWithTheirBytesAndTheInterviewIsRestored) {
  auto u = create(wav_.size());
  run(tus_->append(chunk(u, 0), pieces(wav_.substr(0, 5000))));
  EXPECT_EQ(status(), interviews::Status::kUploading);
  EXPECT_EQ(run(tus_->sweep()).expired, 0u);
  clock_.advance(1h + 1s);
  EXPECT_THROW(run(tus_->get(user_, u.id)), Gone);
  auto report = run(tus_->sweep());
  EXPECT_EQ(report.expired, 1u);
  EXPECT_EQ(report.collected, 1u);
  EXPECT_THROW(run(tus_->get(user_, u.id)), NotFound);
  EXPECT_EQ(status(), interviews::Status::kCreated);
  EXPECT_EQ(stored_files(), 0u);
  EXPECT_EQ(count("storage_garbage"), 0);
}

TEST_P(TusServiceTest, TinyChunksAreBoundedPerUpload) {
  auto small = std::make_unique<TusService>(TusSettings{.max_segments = 2}, database(),
                                            storage_pool_, *store_, *keys_, *interviews_,
                                            *recordings_, clock_, ids_, logger_);
  tus_ = std::move(small);
  auto u = create(wav_.size());
  run(tus_->append(chunk(u, 0), pieces(wav_.substr(0, 10))));
  run(tus_->append(chunk(u, 10), pieces(wav_.substr(10, 10))));
  EXPECT_THROW(run(tus_->append(chunk(u, 20), pieces(wav_.substr(20, 10)))), TooLarge);
}

// Before: a deferred length let an upload grow past Tus-Max-Size.
TEST_P(TusServiceTest, ADeferredLengthIsBoundedByTheMaximumAllTheSame) {
  tus_ = std::make_unique<TusService>(TusSettings{.max_size = 8000, .expiry = 1h}, database(),
                                      storage_pool_, *store_, *keys_, *interviews_, *recordings_,
                                      clock_, ids_, logger_);
  CreateUpload in;
  in.user_id = user_;
  in.defer_length = true;
  in.metadata = "interviewId " + crypto::base64_encode(interview_) + ",consent " +
                crypto::base64_encode("all-parties");
  auto u = run(tus_->create(std::move(in)));
  run(tus_->append(chunk(u, 0), pieces(wav_.substr(0, 5000))));
  // Streamed with no length known: refused at the maximum, nothing kept.
  EXPECT_THROW(run(tus_->append(chunk(u, 5000), pieces(wav_.substr(5000, 5000)))), TooLarge);
  EXPECT_EQ(run(tus_->get(user_, u.id)).offset, 5000u);
  // Announced by Content-Length: refused before a byte is read.
  auto announced = chunk(u, 5000);
  announced.content_length = 4000;
  EXPECT_THROW(run(tus_->append(std::move(announced), pieces("x"))), TooLarge);
  // A late Upload-Length over the maximum.
  auto late = chunk(u, 5000);
  late.length = 9000;
  EXPECT_THROW(run(tus_->append(std::move(late), pieces(wav_.substr(5000, 10)))), TooLarge);
  EXPECT_EQ(run(tus_->get(user_, u.id)).offset, 5000u);
}

TEST_P(TusServiceTest, AUsersUnfinishedUploadsAreLimitedInNumberAndBytes) {
  tus_ = std::make_unique<TusService>(
      TusSettings{
          .max_size = 10000, .expiry = 1h, .open_per_user = 2, .pending_bytes_per_user = 15000},
      database(), storage_pool_, *store_, *keys_, *interviews_, *recordings_, clock_, ids_,
      logger_);
  auto partial = [&](std::optional<std::uint64_t> length) {
    CreateUpload in;
    in.user_id = user_;
    in.concat = "partial";
    in.length = length;
    in.defer_length = !length;
    return run(tus_->create(std::move(in)));
  };
  auto first = partial(10000);
  EXPECT_THROW(partial(6000), TooLarge);  // 16000 would be claimed
  auto deferred = partial(std::nullopt);
  EXPECT_THROW(partial(1), RateLimited);  // a third unfinished upload
  // The deferred one may grow only into what the first leaves: 5000 bytes.
  run(tus_->append(chunk(deferred, 0), pieces(wav_.substr(0, 5000))));
  EXPECT_THROW(run(tus_->append(chunk(deferred, 5000), pieces(wav_.substr(5000, 10)))), TooLarge);
  // Expired uploads no longer count, and the sweeper reclaims them.
  clock_.advance(1h + 1s);
  EXPECT_EQ(run(tus_->sweep()).expired, 2u);
  EXPECT_NO_THROW(partial(10000));
  EXPECT_NO_THROW(partial(5000));
  (void)first;
}

TEST_P(TusServiceTest, OneUserStreamsOnlySoManyBodiesAtOnce) {
  // The fixture's recordings service allows 4 per user; hold them all.
  std::vector<UploadSlots::Slot> held;
  for (int i = 0; i < 4; ++i) held.push_back(recordings_->upload_slot(user_));
  auto u = create(wav_.size());
  EXPECT_THROW(run(tus_->append(chunk(u, 0), pieces(wav_.substr(0, 10)))), RateLimited);
  EXPECT_THROW(recordings_->upload_slot(user_), RateLimited);
  EXPECT_NO_THROW(recordings_->upload_slot("someone-else"));
  held.pop_back();
  EXPECT_EQ(run(tus_->append(chunk(u, 0), pieces(wav_.substr(0, 10)))).upload.offset, 10u);
}

INSTANTIATE_TEST_SUITE_P(Databases, TusServiceTest, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion::uploads
