// The BlobStore contract, run against every implementation: the filesystem
// store, and the S3 store against the real s3rver named by
// COMPANION_TEST_S3_ENDPOINT (scripts/test.sh starts one), a fresh bucket per
// test. When the variable is unset the S3 cases FAIL; they do not skip.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "infra/crypto/encoding.hpp"
#include "infra/storage/filesystem_blob_store.hpp"
#include "infra/storage/s3_blob_store.hpp"

namespace companion::storage {
namespace {

namespace fs = std::filesystem;

struct StoreFactory {
  std::string name;
  // Returns a fresh, empty store; throws when it cannot.
  std::function<std::unique_ptr<BlobStore>(const fs::path& scratch)> make;
};
// Names the store in test output ("GetParam() = s3").
void PrintTo(const StoreFactory& f, std::ostream* os) {
  *os << f.name;
}

// A new bucket on the test S3 server (s3rver's documented credentials).
std::unique_ptr<BlobStore> make_s3_store(const fs::path&) {
  const char* endpoint = std::getenv("COMPANION_TEST_S3_ENDPOINT");
  if (!endpoint || !*endpoint)
    throw std::runtime_error(
        "COMPANION_TEST_S3_ENDPOINT is not set (scripts/test.sh starts s3rver; by hand: "
        "scripts/s3-test-server.sh start DIR)");
  S3Settings s;
  s.endpoint = endpoint;
  s.bucket = "contract-" + crypto::hex_encode(crypto::random_bytes(6));
  s.access_key_id = "S3RVER";
  s.secret_access_key = "S3RVER";
  auto store = std::make_unique<S3BlobStore>(s);
  store->create_bucket();
  return store;
}

class BlobStoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    scratch_ =
        fs::temp_directory_path() / ("blobstore-" + crypto::hex_encode(crypto::random_bytes(6)));
    fs::create_directories(scratch_);
    try {
      store_ = GetParam().make(scratch_);
    } catch (const std::exception& e) {
      FAIL() << "cannot set up the " << GetParam().name << " store: " << e.what();
    }
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(scratch_);
  }
  std::string read_all(const std::string& key) {
    auto n = store_->size(key);
    EXPECT_TRUE(n.has_value());
    std::string out(n.value_or(0), '\0');
    EXPECT_EQ(store_->read(key, 0, out), out.size());
    return out;
  }
  fs::path scratch_;
  std::unique_ptr<BlobStore> store_;
};

TEST_P(BlobStoreContract, StreamedWriteIsInvisibleUntilCommitThenReadable) {
  auto data = crypto::random_bytes(3 * 1024 * 1024 + 17);  // several parts, odd tail
  auto w = store_->create("recordings/u1/i1/r1");
  for (std::size_t off = 0; off < data.size(); off += 100'000)
    w->write({data.data() + off, std::min<std::size_t>(100'000, data.size() - off)});
  EXPECT_FALSE(store_->size("recordings/u1/i1/r1").has_value());
  w->commit();
  EXPECT_EQ(w->written(), data.size());
  EXPECT_EQ(store_->size("recordings/u1/i1/r1"), data.size());
  EXPECT_EQ(read_all("recordings/u1/i1/r1"), data);
}

// What a sealed upload hands the store: whole blocks from block-aligned
// memory (the filesystem store writes them from there, O_DIRECT), mixed
// with writes that are not, and an odd tail.
TEST_P(BlobStoreContract, AlignedBlocksMixedWithUnalignedWritesReadBackInOrder) {
  constexpr std::size_t kBlock = 4096;
  auto data = crypto::random_bytes(300'000);
  auto* aligned = static_cast<char*>(std::aligned_alloc(kBlock, 64 * kBlock));
  ASSERT_NE(aligned, nullptr);
  std::unique_ptr<char, decltype(&std::free)> own(aligned, &std::free);
  auto w = store_->create("blocks/1");
  std::size_t at = 0;
  auto from_aligned = [&](std::size_t n) {
    std::memcpy(aligned, data.data() + at, n);
    w->write({aligned, n});
    at += n;
  };
  auto from_data = [&](std::size_t n) {
    w->write({data.data() + at, n});
    at += n;
  };
  from_aligned(32 * kBlock);  // whole blocks, nothing before them
  from_aligned(5 * kBlock + 100);
  from_data(3);              // now something is buffered
  from_aligned(2 * kBlock);  // aligned, but behind buffered bytes
  from_data(data.size() - at - 10 * kBlock);
  from_aligned(10 * kBlock);
  ASSERT_EQ(at, data.size());
  w->commit();
  EXPECT_EQ(w->written(), data.size());
  EXPECT_EQ(read_all("blocks/1"), data);
}

TEST_P(BlobStoreContract, RangeReadsReturnTheExactBytes) {
  auto data = crypto::random_bytes(200'000);
  auto w = store_->create("a/b");
  w->write(data);
  w->commit();
  std::string out(1000, '\0');
  EXPECT_EQ(store_->read("a/b", 12345, out), 1000u);
  EXPECT_EQ(out, data.substr(12345, 1000));
  EXPECT_EQ(store_->read("a/b", 199'500, out), 500u);  // short at the end
  EXPECT_EQ(out.substr(0, 500), data.substr(199'500));
}

TEST_P(BlobStoreContract, AbandonedWriterLeavesNothing) {
  {
    auto w = store_->create("x/y");
    w->write(std::string(1000, 'z'));
  }
  EXPECT_FALSE(store_->size("x/y").has_value());
}

TEST_P(BlobStoreContract, CommitReplacesAnExistingObject) {
  for (std::string v : {"first", "second version"}) {
    auto w = store_->create("k");
    w->write(v);
    w->commit();
  }
  EXPECT_EQ(read_all("k"), "second version");
}

TEST_P(BlobStoreContract, AdoptMovesALocalFileIn) {
  auto file = scratch_ / "local.bin";
  auto data = crypto::random_bytes(70'000);
  std::ofstream(file, std::ios::binary) << data;
  store_->adopt("adopted/file", file);
  EXPECT_FALSE(fs::exists(file));
  EXPECT_EQ(read_all("adopted/file"), data);
}

TEST_P(BlobStoreContract, RemoveIsIdempotentAndReadOfMissingThrows) {
  auto w = store_->create("gone");
  w->write(std::string("x"));
  w->commit();
  store_->remove("gone");
  store_->remove("gone");
  EXPECT_FALSE(store_->size("gone").has_value());
  std::string out(10, '\0');
  EXPECT_THROW(store_->read("gone", 0, out), StorageError);
}

TEST_P(BlobStoreContract, RefusesUnsafeKeys) {
  for (std::string key : {"", "/abs", "a/../b", "a//b", "..", "a/./b", "sp ace", "a/b/"})
    EXPECT_THROW(store_->create(key), std::invalid_argument) << key;
}

TEST_P(BlobStoreContract, CheckPasses) {
  EXPECT_NO_THROW(store_->check());
}

INSTANTIATE_TEST_SUITE_P(
    Stores, BlobStoreContract,
    ::testing::Values(StoreFactory{"filesystem",
                                   [](const fs::path& scratch) -> std::unique_ptr<BlobStore> {
                                     return std::make_unique<FilesystemBlobStore>(scratch /
                                                                                  "blobs");
                                   }},
                      StoreFactory{"s3", make_s3_store}),
    [](const auto& info) { return info.param.name; });

// tmpfs refuses O_DIRECT: the writes are buffered (their writeback started
// as they go) and read back all the same.
TEST(FilesystemBlobStore, WritesWhereODirectIsRefused) {
  const fs::path shm = "/dev/shm";
  if (!fs::is_directory(shm)) GTEST_SKIP() << "no /dev/shm (tmpfs) on this machine";
  auto root = shm / ("buffered-" + crypto::hex_encode(crypto::random_bytes(6)));
  FilesystemBlobStore store(root);
  auto data = crypto::random_bytes(1'000'003);
  auto w = store.create("uploads/u/1/0-a");
  for (std::size_t off = 0; off < data.size(); off += 65'537)
    w->write({data.data() + off, std::min<std::size_t>(65'537, data.size() - off)});
  w->commit();
  std::string back(data.size(), '\0');
  EXPECT_EQ(store.read("uploads/u/1/0-a", 0, back), data.size());
  EXPECT_EQ(back, data);
  fs::remove_all(root);
}

// What a killed process left mid-write (a temporary file nobody will
// commit) goes once it is old enough; objects and live writes stay.
TEST(FilesystemBlobStore, RemovesAbandonedWritesOnly) {
  auto root =
      fs::temp_directory_path() / ("abandoned-" + crypto::hex_encode(crypto::random_bytes(6)));
  FilesystemBlobStore store(root);
  auto object = store.create("uploads/u/1/0-a");
  object->write(std::string(10, 'x'));
  object->commit();
  auto live = store.create("uploads/u/1/10-b");
  live->write(std::string(10, 'y'));
  fs::create_directories(root / "uploads/u/2");
  auto stale = root / "uploads/u/2/0-c.tmp-0123456789abcdef";
  std::ofstream(stale) << "left behind";
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));

  EXPECT_EQ(store.remove_abandoned(std::chrono::hours(1)), 1u);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_EQ(store.size("uploads/u/1/0-a"), 10u);
  live->commit();  // the live write was not touched
  EXPECT_EQ(store.size("uploads/u/1/10-b"), 10u);
  EXPECT_EQ(store.remove_abandoned(std::chrono::hours(1)), 0u);
  fs::remove_all(root);
}

}  // namespace
}  // namespace companion::storage
