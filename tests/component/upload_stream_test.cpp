// The one loop both upload paths read a body with, against the real
// filesystem store: what is kept, what is discarded, when the start is
// sniffed, and what a broken-off body leaves.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "infra/async/blocking_pool.hpp"
#include "infra/crypto/digest.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/errors/errors.hpp"
#include "infra/storage/filesystem_blob_store.hpp"
#include "infra/storage/sealed_blob.hpp"
#include "modules/uploads/upload_stream.hpp"
#include "support/body_pieces.hpp"
#include "support/databases.hpp"

namespace companion::uploads {
namespace {

using test_support::run;
using test_support::TempDir;

class UploadStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto wav = dir_.path() / "a.wav";
    auto cmd = "sox -n -r 16000 -c 1 " + wav.string() + " synth 2 sine 300 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "sox is needed (scripts/install-deps.sh)";
    std::ifstream in(wav, std::ios::binary);
    wav_.assign(std::istreambuf_iterator<char>(in), {});
  }

  // `data` in pieces of `size` bytes; counts the pieces taken; throws
  // BadRequest (a body that broke off) after `break_after` bytes.
  ReadBody pieces(std::string data, std::size_t size = 1000,
                  std::size_t break_after = std::string::npos) {
    auto shared = std::make_shared<std::string>(std::move(data));
    auto offset = std::make_shared<std::size_t>(0);
    return test_support::read_pieces(
        [this, shared, offset, size, break_after]() -> boost::asio::awaitable<std::string_view> {
          if (*offset >= break_after) throw BadRequest("The request body ended early.");
          auto n = std::min({size, shared->size() - *offset, break_after - *offset});
          std::string_view piece(shared->data() + *offset, n);
          *offset += n;
          if (n > 0) ++pieces_taken_;
          co_return piece;
        });
  }

  std::unique_ptr<UploadStream> stream(UploadStream::Options options) {
    if (options.key.empty()) options.key = "uploads/u/1";
    return std::make_unique<UploadStream>(
        io_.get_executor(), pool_, batches_, store_,
        [this]() -> boost::asio::awaitable<std::string> {
          ++keys_asked_;
          co_return data_key_;
        },
        std::move(options));
  }

  std::string read_back(const std::string& key) {
    storage::SealedReader reader(store_, key, data_key_);
    std::string out(reader.size(), '\0');
    out.resize(reader.read(0, std::span<char>(out.data(), out.size())));
    return out;
  }

  TempDir dir_;
  storage::FilesystemBlobStore store_{dir_.path() / "blobs"};
  async::BlockingPool pool_{2};
  storage::SealedBatchPool batches_ = UploadStream::batch_pool(2);
  boost::asio::io_context io_;
  std::string data_key_ = crypto::random_bytes(32);
  std::string wav_;
  int keys_asked_ = 0;
  int pieces_taken_ = 0;
};

TEST_F(UploadStreamTest, AWholeFileInSmallPiecesIsSealedAndReadsBackExactly) {
  std::string wavs = wav_;
  while (wavs.size() < 2'700'000) wavs += wav_;
  // Less than a batch; exactly one, so the final chunk goes in the other;
  // two of them; several and a tail.
  const std::size_t batch = UploadStream::kBatchChunks * crypto::kDefaultChunkSize;
  for (std::size_t size : {batch / 2 + 1, batch, 2 * batch, std::size_t{2'600'000}}) {
    auto body = wavs.substr(0, size);
    auto key = "uploads/u/" + std::to_string(size);
    auto s = stream({.key = key});
    keys_asked_ = 0;
    EXPECT_EQ(run(io_, s->read(pieces(body, 99'999))), nullptr);
    run(io_, s->finish(true));
    EXPECT_EQ(s->bytes(), body.size());
    EXPECT_EQ(keys_asked_, 1);
    EXPECT_EQ(read_back(key), body) << size;
  }
  EXPECT_EQ(batches_.idle(), 2u);  // all back in the pool (reuse: SealedBatchPool tests)
}

TEST_F(UploadStreamTest, AnEmptyBodyStoresNothingAndNeedsNoKey) {
  auto s = stream({});
  EXPECT_EQ(run(io_, s->read(pieces(""))), nullptr);
  run(io_, s->finish(true));
  EXPECT_EQ(s->bytes(), 0u);
  EXPECT_EQ(keys_asked_, 0);
  EXPECT_FALSE(store_.size("uploads/u/1").has_value());
}

TEST_F(UploadStreamTest, AStartThatIsNotMediaIsRefusedBeforeTheRestIsReadAndNothingStays) {
  std::string body(2'000'000, 'x');
  auto s = stream({});
  EXPECT_THROW(run(io_, s->read(pieces(body, 1000))), UnsupportedMedia);
  EXPECT_LE(pieces_taken_, 5);  // the 4 KiB sniffing window, not 2 MB
  EXPECT_FALSE(store_.size("uploads/u/1").has_value());
}

TEST_F(UploadStreamTest, APieceOfAFileThatIsNotItsStartIsNotSniffed) {
  std::string body(300'000, 'x');
  auto s = stream({.starts_file = false});
  EXPECT_EQ(run(io_, s->read(pieces(body))), nullptr);
  run(io_, s->finish(true));
  EXPECT_EQ(read_back("uploads/u/1"), body);
}

TEST_F(UploadStreamTest, AShortFileIsSniffedWhenItsEndArrivesNotBefore) {
  const std::string text(1000, 'x');  // text: never a recording
  auto kept = stream({.key = "uploads/u/short"});
  EXPECT_EQ(run(io_, kept->read(pieces(text))), nullptr);
  run(io_, kept->finish(false));  // more may follow (a tus chunk)
  EXPECT_EQ(read_back("uploads/u/short"), text);

  auto whole = stream({.key = "uploads/u/whole"});
  EXPECT_EQ(run(io_, whole->read(pieces(text))), nullptr);
  EXPECT_THROW(run(io_, whole->finish(true)), UnsupportedMedia);
  EXPECT_FALSE(store_.size("uploads/u/whole").has_value());
}

TEST_F(UploadStreamTest, ARefusedSizeStopsTheBodyAndDiscardsWhatWasWritten) {
  std::string body = wav_;
  while (body.size() < 600'000) body += wav_;
  auto s = stream({.check_size = [](std::uint64_t total) {
    if (total > 500'000) throw TooLarge("too large");
  }});
  EXPECT_THROW(run(io_, s->read(pieces(body, 1000))), TooLarge);
  EXPECT_EQ(s->bytes(), 500'000u);  // the piece that would pass the limit is not taken
  EXPECT_FALSE(store_.size("uploads/u/1").has_value());
}

TEST_F(UploadStreamTest, ABodyThatBrokeOffIsTheCallersToKeepOrDrop) {
  std::string body = wav_;
  while (body.size() < 400'000) body += wav_;
  auto kept = stream({.key = "uploads/u/kept"});
  auto broke = run(io_, kept->read(pieces(body, 1000, 300'000)));
  ASSERT_NE(broke, nullptr);
  EXPECT_THROW(std::rethrow_exception(broke), BadRequest);
  run(io_, kept->finish(false));
  EXPECT_EQ(read_back("uploads/u/kept"), body.substr(0, 300'000));

  auto dropped = stream({.key = "uploads/u/dropped"});
  ASSERT_NE(run(io_, dropped->read(pieces(body, 1000, 300'000))), nullptr);
  run(io_, dropped->discard());
  EXPECT_FALSE(store_.size("uploads/u/dropped").has_value());
}

TEST_F(UploadStreamTest, TheDigestSeesEveryByte) {
  std::string body = wav_ + wav_;
  crypto::Digest digest(crypto::DigestAlgorithm::kSha256);
  auto s = stream({.digest = &digest});
  EXPECT_EQ(run(io_, s->read(pieces(body, 777))), nullptr);
  crypto::Digest whole(crypto::DigestAlgorithm::kSha256);
  whole.update(body);
  EXPECT_EQ(digest.finish(), whole.finish());
}

}  // namespace
}  // namespace companion::uploads
