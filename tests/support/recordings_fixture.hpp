#pragma once
// A database (both dialects), the filesystem store, a user with an
// interview, the services a recording needs, and a short real WAV: shared by
// the recordings and tus component tests.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "infra/crypto/encoding.hpp"
#include "infra/log/logger.hpp"
#include "infra/pubsub/in_process_pubsub.hpp"
#include "infra/storage/filesystem_blob_store.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/uploads/recordings_service.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/users/users_service.hpp"
#include "support/body_pieces.hpp"
#include "support/databases.hpp"

namespace companion::test_support {

class RecordingsFixture : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    migrate();
    store_ = std::make_unique<storage::FilesystemBlobStore>(dir_.path() / "blobs");
    keys_ = std::make_unique<users::DataKeys>(database(), crypto::random_bytes(32), clock_);
    users_ = std::make_unique<users::UsersService>(database(), *keys_, clock_, ids_);
    outbox_ = std::make_unique<outbox::Outbox>(clock_, ids_);
    realtime_ = std::make_unique<realtime::RealtimeService>(realtime::RealtimeSettings{},
                                                            database(), *keys_, pubsub_, clock_);
    interviews_ = std::make_unique<interviews::InterviewsService>(database(), *keys_, clock_, ids_,
                                                                  *outbox_, *realtime_, logger_);
    recordings_ = std::make_unique<uploads::RecordingsService>(
        database(), storage_pool_, *store_, *keys_, *interviews_, *outbox_, clock_, ids_, logger_);
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
    recordings_.reset();
    DatabaseTest::TearDown();
  }

  // Feeds `data` in pieces of 1000 bytes, as the HTTP layer would.
  uploads::ReadBody pieces(std::string data, std::size_t size = 1000) {
    auto shared = std::make_shared<std::string>(std::move(data));
    auto offset = std::make_shared<std::size_t>(0);
    return test_support::read_pieces(
        [shared, offset, size]() -> boost::asio::awaitable<std::string_view> {
          auto n = std::min<std::size_t>(size, shared->size() - *offset);
          std::string_view piece(shared->data() + *offset, n);
          *offset += n;
          co_return piece;
        });
  }
  TempDir dir_;
  ManualClock clock_{SystemClock().now_ms()};
  crypto::UuidV7Generator ids_{clock_};
  log::Logger logger_{log::Level::kOff, log::Format::kJson};
  async::BlockingPool storage_pool_{2};
  std::unique_ptr<storage::FilesystemBlobStore> store_;
  std::unique_ptr<users::UsersService> users_;
  std::unique_ptr<users::DataKeys> keys_;
  pubsub::InProcessPubSub pubsub_;
  std::unique_ptr<realtime::RealtimeService> realtime_;
  std::unique_ptr<interviews::InterviewsService> interviews_;
  std::unique_ptr<outbox::Outbox> outbox_;
  std::unique_ptr<uploads::RecordingsService> recordings_;
  std::string user_, interview_, wav_;

  // Regular files under the store's root.
  std::size_t stored_files() {
    std::size_t files = 0;
    if (std::filesystem::exists(dir_.path() / "blobs"))
      for (auto& e : std::filesystem::recursive_directory_iterator(dir_.path() / "blobs"))
        files += e.is_regular_file();
    return files;
  }
};

}  // namespace companion::test_support
