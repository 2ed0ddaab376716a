// Files only this user may read, created with their mode (never chmod-ed
// afterwards), and secrets written durably and at most once.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "infra/crypto/encoding.hpp"
#include "infra/files/private_files.hpp"

namespace companion::files {
namespace {

namespace stdfs = std::filesystem;

unsigned mode_of(const stdfs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class PrivateFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    // As a service manager or a shell would start the server.
    old_umask_ = ::umask(022);
    root_ = stdfs::temp_directory_path() /
            ("private-files-" + crypto::hex_encode(crypto::random_bytes(6)));
    stdfs::create_directories(root_);
  }
  void TearDown() override {
    ::umask(old_umask_);
    stdfs::remove_all(root_);
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (auto& e : stdfs::directory_iterator(root_)) out.push_back(e.path().filename().string());
    return out;
  }
  mode_t old_umask_ = 022;
  stdfs::path root_;
};

TEST_F(PrivateFiles, ADirectoryIsCreated0700WithItsParents) {
  auto dir = root_ / "a" / "b" / "data";
  EXPECT_TRUE(make_private_directory(dir));
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_FALSE(make_private_directory(dir));  // exists: left alone
  EXPECT_TRUE(make_private_directory(root_ / "trailing" / ""));
  EXPECT_EQ(mode_of(root_ / "trailing"), 0700u);
  // An existing directory keeps its mode; its openness can be seen.
  stdfs::create_directories(root_ / "open");
  EXPECT_EQ(group_or_other_bits(root_ / "open"), 055u);
  EXPECT_FALSE(make_private_directory(root_ / "open"));
  EXPECT_EQ(group_or_other_bits(dir), 0u);
}

TEST_F(PrivateFiles, AFileIsCreatedEmptyWith0600Once) {
  auto file = root_ / "companion.db";
  EXPECT_TRUE(create_private_file(file));
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(stdfs::file_size(file), 0u);
  { std::ofstream(file) << "data"; }
  EXPECT_FALSE(create_private_file(file));
  EXPECT_EQ(stdfs::file_size(file), 4u);  // untouched
  EXPECT_THROW(create_private_file(root_ / "missing" / "x.db"), FileError);
}

TEST_F(PrivateFiles, ASecretIsGeneratedOnceWith0600AndReadBack) {
  auto path = root_ / "master-key";
  int generated = 0;
  auto make = [&] {
    ++generated;
    return std::string("secret-") + std::to_string(generated);
  };
  auto first = load_or_create_secret(path, make);
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.content, "secret-1");
  EXPECT_EQ(mode_of(path), 0600u);
  auto again = load_or_create_secret(path, make);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.content, "secret-1");
  EXPECT_EQ(generated, 1);
  // Nothing but the secret is left behind: no temporary file.
  EXPECT_EQ(names(), std::vector<std::string>{"master-key"});
}

TEST_F(PrivateFiles, ProcessesGeneratingAtOnceAllUseOneSecret) {
  auto path = root_ / "jwt-secret";
  constexpr int kThreads = 8;
  std::vector<Secret> got(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      got[i] = load_or_create_secret(path, [] { return crypto::random_bytes(32); });
    });
  for (auto& t : threads) t.join();
  std::set<std::string> contents;
  int created = 0;
  for (auto& s : got) {
    contents.insert(s.content);
    created += s.created;
  }
  EXPECT_EQ(contents.size(), 1u);
  EXPECT_EQ(created, 1);
  EXPECT_EQ(names(), std::vector<std::string>{"jwt-secret"});
}

TEST_F(PrivateFiles, ASecretInAMissingDirectoryIsAnError) {
  EXPECT_THROW(load_or_create_secret(root_ / "nope" / "key", [] { return std::string("k"); }),
               FileError);
}

}  // namespace
}  // namespace companion::files
