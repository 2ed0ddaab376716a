// Sealed (encrypted) objects on the filesystem store: what goes in comes
// out, ranges open only what they need, and a wrong key or an altered or
// truncated object is refused.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "infra/crypto/encoding.hpp"
#include "infra/storage/filesystem_blob_store.hpp"
#include "infra/storage/sealed_blob.hpp"

namespace companion::storage {
namespace {

namespace fs = std::filesystem;

class SealedBlob : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sealed-" + crypto::hex_encode(crypto::random_bytes(6)));
    store_ = std::make_unique<FilesystemBlobStore>(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string put(const std::string& key, const std::string& data, std::size_t piece = 7777) {
    SealedWriter w(*store_, key, key_, 4096);
    for (std::size_t off = 0; off < data.size(); off += piece)
      w.write(std::string_view(data).substr(off, piece));
    w.finish();
    return key;
  }
  fs::path root_;
  std::unique_ptr<FilesystemBlobStore> store_;
  std::string key_ = crypto::random_bytes(32);
};

TEST_F(SealedBlob, RoundTripsAnySizeAndAnyRange) {
  for (std::size_t size : {0ul, 1ul, 4095ul, 4096ul, 4097ul, 100'000ul}) {
    auto data = crypto::random_bytes(size);
    auto key = put("r/" + std::to_string(size), data);
    SealedReader r(*store_, key, key_);
    ASSERT_EQ(r.size(), size);
    std::string all(size, '\0');
    EXPECT_EQ(r.read(0, all), size);
    EXPECT_EQ(all, data);
    if (size > 5000) {
      std::string mid(3000, '\0');
      EXPECT_EQ(r.read(4000, mid), 3000u);  // spans a chunk boundary
      EXPECT_EQ(mid, data.substr(4000, 3000));
      std::string tail(500, '\0');
      EXPECT_EQ(r.read(size - 100, tail), 100u);
      EXPECT_EQ(tail.substr(0, 100), data.substr(size - 100));
    }
  }
}

TEST_F(SealedBlob, StoredBytesAreNotThePlaintext) {
  std::string data(20'000, 'A');
  put("plain/check", data);
  std::ifstream in(root_ / "plain/check", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(raw.find(std::string(64, 'A')), std::string::npos);
}

TEST_F(SealedBlob, WrongKeyTamperingAndTruncationAreRefused) {
  auto data = crypto::random_bytes(10'000);
  put("t/1", data);
  EXPECT_THROW(
      {
        SealedReader r(*store_, "t/1", crypto::random_bytes(32));
        std::string out(100, '\0');
        r.read(0, out);
      },
      StorageError);
  // Flip one byte in the second chunk.
  auto path = root_ / "t/1";
  {
    // Inverted, not overwritten: a fixed value would match the (random)
    // byte already there one time in 256.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = crypto::kHeaderBytes + 4096 + 16 + 10;
    f.seekg(at);
    char byte = 0;
    f.get(byte);
    f.seekp(at);
    f.put(static_cast<char>(~byte));
  }
  SealedReader r(*store_, "t/1", key_);
  std::string first(4096, '\0');
  EXPECT_EQ(r.read(0, first), 4096u);  // untouched chunk still opens
  std::string second(100, '\0');
  EXPECT_THROW(r.read(4096, second), StorageError);
  // Drop the final chunk: the object no longer ends properly.
  put("t/2", data);
  fs::resize_file(root_ / "t/2", crypto::kHeaderBytes + 2 * (4096 + 16));
  EXPECT_THROW(
      {
        SealedReader r2(*store_, "t/2", key_);
        std::string out(10'000, '\0');
        r2.read(0, out);
      },
      StorageError);
}

// Records the writes a store gets, for the block-alignment the filesystem
// store's O_DIRECT path needs; passes everything on to the real store.
class WriteLog final : public BlobStore {
 public:
  struct Write {
    std::uintptr_t address;
    std::size_t size;
  };
  explicit WriteLog(BlobStore& inner) : inner_(inner) {}
  std::unique_ptr<BlobWriter> create(const std::string& key) override {
    class Writer final : public BlobWriter {
     public:
      Writer(std::unique_ptr<BlobWriter> inner, std::vector<Write>& log)
          : inner_(std::move(inner)), log_(log) {}
      void write(std::span<const char> data) override {
        log_.push_back({reinterpret_cast<std::uintptr_t>(data.data()), data.size()});
        inner_->write(data);
      }
      void commit() override { inner_->commit(); }
      std::uint64_t written() const override { return inner_->written(); }

     private:
      std::unique_ptr<BlobWriter> inner_;
      std::vector<Write>& log_;
    };
    writes.clear();
    return std::make_unique<Writer>(inner_.create(key), writes);
  }
  void adopt(const std::string& key, const fs::path& file) override { inner_.adopt(key, file); }
  std::size_t read(const std::string& key, std::uint64_t offset, std::span<char> out) override {
    return inner_.read(key, offset, out);
  }
  std::optional<std::uint64_t> size(const std::string& key) override { return inner_.size(key); }
  void remove(const std::string& key) override { inner_.remove(key); }
  void check() override { inner_.check(); }
  std::size_t remove_abandoned(std::chrono::seconds age) override {
    return inner_.remove_abandoned(age);
  }
  std::vector<Write> writes;

 private:
  BlobStore& inner_;
};

// An upload's path: plaintext received straight into a batch (in pieces
// that straddle chunks, a few spans at a time), sealed there and written
// from there. It reads back exactly, and every write but the last is whole
// blocks from block-aligned memory (what O_DIRECT takes without a copy).
TEST_F(SealedBlob, BatchesFilledInPlaceReadBackAndAreWrittenInWholeBlocks) {
  WriteLog log(*store_);
  constexpr std::uint32_t kChunk = 4096;
  constexpr std::size_t kChunks = 3;
  for (std::size_t size : {0ul, 1ul, 4096ul, 3 * 4096ul, 2 * 3 * 4096ul + 5, 50'000ul}) {
    auto data = crypto::random_bytes(size);
    auto key = "batch/" + std::to_string(size);
    SealedWriter writer(log, key, key_, kChunk);
    SealedBatch batch(kChunk, kChunks);
    batch.reset(writer.next_chunk());
    std::size_t at = 0;
    while (at < size) {
      std::span<char> spans[2];
      auto count = batch.space(spans);
      ASSERT_GT(count, 0u);
      // Up to 5000 bytes at a time, filling the spans in order.
      std::size_t n = 0;
      for (std::size_t i = 0; i < count && at + n < size && n < 5000; ++i) {
        auto take = std::min({spans[i].size(), size - at - n, 5000 - n});
        std::memcpy(spans[i].data(), data.data() + at + n, take);
        n += take;
      }
      batch.commit(n);
      at += n;
      if (batch.full()) {
        writer.write(batch);
        batch.reset(writer.next_chunk());
      }
    }
    writer.finish(batch);

    SealedReader reader(*store_, key, key_);
    ASSERT_EQ(reader.size(), size);
    std::string back(size, '\0');
    EXPECT_EQ(reader.read(0, back), size);
    EXPECT_EQ(back, data) << size;
    ASSERT_FALSE(log.writes.empty());
    for (std::size_t i = 0; i + 1 < log.writes.size(); ++i) {
      EXPECT_EQ(log.writes[i].size % SealedBatch::kBlock, 0u) << size << " write " << i;
      EXPECT_EQ(log.writes[i].address % SealedBatch::kBlock, 0u) << size << " write " << i;
    }
  }
}

TEST_F(SealedBlob, ABatchMustContinueItsObject) {
  SealedWriter writer(*store_, "batch/wrong", key_, 4096);
  SealedBatch elsewhere(4096, 2);
  elsewhere.reset(5);
  EXPECT_THROW(writer.write(elsewhere), std::logic_error);
  SealedBatch other_size(8192, 2);
  other_size.reset(0);
  EXPECT_THROW(writer.write(other_size), std::logic_error);
  SealedBatch partial(4096, 2);
  partial.reset(0);
  partial.commit(100);  // only the final chunk may be partial
  EXPECT_THROW(writer.write(partial), std::logic_error);
  EXPECT_THROW(partial.commit(2 * 4096), std::logic_error);  // more than it holds
}

TEST(SealedBatchPool, ReusesBatchesKeepingAtMostSoManyIdle) {
  SealedBatchPool pool(4096, 2, 1);
  auto a = pool.take();
  auto b = pool.take();
  const auto* memory = a.get();
  a->reset(3);
  a->commit(100);
  a.reset();
  b.reset();
  EXPECT_EQ(pool.idle(), 1u);  // b was one too many
  auto c = pool.take();
  EXPECT_EQ(c.get(), memory);
  EXPECT_EQ(c->first_chunk(), 0u);  // empty again
  EXPECT_EQ(c->plaintext_bytes(), 0u);
  EXPECT_EQ(pool.idle(), 0u);
}

// A recording that arrived in pieces reads as one stream, across part
// boundaries, whatever the part sizes (including empty ones).
TEST_F(SealedBlob, SequenceReadsPartsAsOneStream) {
  auto data = crypto::random_bytes(50'000);
  std::vector<SealedPart> parts;
  std::size_t at = 0;
  for (std::size_t size : {1ul, 4096ul, 0ul, 10'000ul, 35'903ul}) {
    parts.push_back(
        {put("seq/" + std::to_string(at) + "-" + std::to_string(size), data.substr(at, size)),
         size});
    at += size;
  }
  ASSERT_EQ(at, data.size());
  SealedSequenceReader r(*store_, parts, key_);
  ASSERT_EQ(r.size(), data.size());
  std::string all(data.size() + 10, '\0');
  EXPECT_EQ(r.read(0, all), data.size());
  EXPECT_EQ(all.substr(0, data.size()), data);
  for (std::uint64_t offset : {0ul, 1ul, 4096ul, 4097ul, 14'000ul, 49'999ul}) {
    std::string piece(6000, '\0');
    auto n = r.read(offset, piece);
    ASSERT_EQ(n, std::min<std::size_t>(6000, data.size() - offset)) << offset;
    EXPECT_EQ(piece.substr(0, n), data.substr(offset, n)) << offset;
  }
  std::string none(10, '\0');
  EXPECT_EQ(r.read(data.size(), none), 0u);
}

TEST_F(SealedBlob, SequenceRefusesAPartOfAnotherSizeOrMissing) {
  auto key = put("seq/one", std::string(100, 'x'));
  SealedSequenceReader wrong_size(*store_, {{key, 99}}, key_);
  std::string out(10, '\0');
  EXPECT_THROW(wrong_size.read(0, out), StorageError);
  SealedSequenceReader missing(*store_, {{key, 100}, {"seq/missing", 5}}, key_);
  std::string more(110, '\0');
  EXPECT_THROW(missing.read(0, more), StorageError);
  EXPECT_THROW(SealedSequenceReader(*store_, {}, key_), std::invalid_argument);
}

}  // namespace
}  // namespace companion::storage
