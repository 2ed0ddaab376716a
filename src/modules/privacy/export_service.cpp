#include "modules/privacy/export_service.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <vector>

#include "infra/archive/zip_writer.hpp"
#include "infra/clock/rfc3339.hpp"
#include "infra/crypto/digest.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/errors/errors.hpp"
#include "infra/files/private_files.hpp"
#include "modules/audit/audit_controller.hpp"
#include "modules/interviews/interviews_controller.hpp"
#include "modules/transcription/transcript.hpp"
#include "modules/uploads/recording.hpp"
#include "modules/users/users_controller.hpp"

namespace companion::privacy {
namespace {

namespace fs = std::filesystem;

constexpr auto kLookInterval = std::chrono::minutes(1);
constexpr int kPage = 100;
constexpr std::size_t kCopyChunk = 1 << 20;
// How long a builder holds an export before another process may take it.
constexpr std::int64_t kClaimMs = 3'600'000;

// The archive's files, written to disk one at a time with their digests.
class Files {
 public:
  explicit Files(fs::path dir) : dir_(std::move(dir)) {}

  // Blocking.
  void add(const std::string& name, std::string_view content, bool compress = true) {
    auto local = next_local();
    std::ofstream out(local, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + local.string());
    entries_.push_back({name, local, crypto::hex_encode(crypto::sha256(content)),
                        static_cast<std::int64_t>(content.size()), compress});
  }
  // Blocking: copies a readable object in pieces, hashing as it goes.
  template <class Read>
  void add_stream(const std::string& name, std::uint64_t size, Read read) {
    auto local = next_local();
    std::ofstream out(local, std::ios::binary | std::ios::trunc);
    crypto::Digest digest(crypto::DigestAlgorithm::kSha256);
    std::vector<char> buffer(kCopyChunk);
    std::uint64_t offset = 0;
    while (offset < size) {
      auto n = read(offset, std::span<char>(buffer.data(), buffer.size()));
      if (n == 0) throw std::runtime_error("a stored object ended before its size");
      out.write(buffer.data(), static_cast<std::streamsize>(n));
      digest.update({buffer.data(), n});
      offset += n;
    }
    out.close();
    if (!out) throw std::runtime_error("cannot write " + local.string());
    entries_.push_back(
        {name, local, crypto::hex_encode(digest.finish()), static_cast<std::int64_t>(size), false});
  }
  // A JSON array written an item at a time (lists as long as the account).
  class Array {
   public:
    Array(Files& files, std::string name)
        : files_(files),
          name_(std::move(name)),
          local_(files.next_local()),
          out_(local_, std::ios::binary | std::ios::trunc),
          digest_(crypto::DigestAlgorithm::kSha256) {
      put("[");
    }
    // Blocking.
    void add(const boost::json::value& item) {
      put(first_ ? "\n" : ",\n");
      first_ = false;
      put(boost::json::serialize(item));
    }
    void close() {
      put("\n]\n");
      out_.close();
      if (!out_) throw std::runtime_error("cannot write " + local_.string());
      files_.entries_.push_back(
          {name_, local_, crypto::hex_encode(digest_.finish()), bytes_, true});
    }

   private:
    void put(std::string_view s) {
      out_.write(s.data(), static_cast<std::streamsize>(s.size()));
      digest_.update(s);
      bytes_ += static_cast<std::int64_t>(s.size());
    }
    Files& files_;
    std::string name_;
    fs::path local_;
    std::ofstream out_;
    crypto::Digest digest_;
    std::int64_t bytes_ = 0;
    bool first_ = true;
  };

  // The manifest lists every other file.
  std::string manifest() const {
    boost::json::array files;
    for (const auto& e : entries_)
      files.push_back({{"path", e.name}, {"sha256", e.sha256}, {"bytes", e.bytes}});
    return boost::json::serialize(boost::json::object{{"files", std::move(files)}});
  }
  void zip_to(const fs::path& archive) {
    archive::ZipWriter zip(archive.string());
    for (const auto& e : entries_) zip.add_file(e.name, e.local.string(), e.compress);
    zip.close();
  }

 private:
  struct Entry {
    std::string name;
    fs::path local;
    std::string sha256;
    std::int64_t bytes;
    bool compress;
  };
  fs::path next_local() { return dir_ / ("f" + std::to_string(locals_++)); }

  fs::path dir_;
  std::vector<Entry> entries_;
  std::size_t locals_ = 0;
};

std::string pretty(const boost::json::value& v) {
  return boost::json::serialize(v) + "\n";
}

// A file extension from the recording's container name ("wav", "mp4").
std::string extension(const std::string& container) {
  std::string out;
  for (char ch : container)
    if (std::isalnum(static_cast<unsigned char>(ch))) out += static_cast<char>(std::tolower(ch));
  if (out.empty() || out.size() > 8) return "bin";
  return out;
}

}  // namespace

ExportService::ExportService(ExportParts parts) : p_(std::move(parts)) {}

boost::asio::awaitable<Export> ExportService::request(std::string user_id,
                                                      std::optional<std::string> ip) {
  auto now = p_.clock.now_ms();
  auto e = co_await p_.db.write([&](db::Connection& c) {
    if (auto pending = repository_.pending_of(c, user_id)) return *pending;
    Export fresh{.id = p_.ids.next(),
                 .user_id = user_id,
                 .status = "pending",
                 .created_at_ms = now,
                 .expires_at_ms = now + p_.lifetime.count()};
    repository_.insert(c, fresh);
    p_.audit.append_in(c, {"export.requested", user_id, ip, {{"exportId", fresh.id}}});
    return fresh;
  });
  requested_ = true;
  co_return e;
}

boost::asio::awaitable<Export> ExportService::get(std::string user_id, std::string id) {
  auto e = co_await p_.db.read([&](db::Connection& c) { return repository_.find(c, user_id, id); });
  if (!e || e->expires_at_ms <= p_.clock.now_ms()) throw NotFound("No export with this id exists.");
  co_return *e;
}

boost::asio::awaitable<Archive> ExportService::open(std::string user_id, std::string id,
                                                    std::optional<std::string> ip) {
  auto e = co_await get(user_id, id);
  if (e.status == "pending" || e.status == "building")
    throw Conflict("The export is still being prepared.");
  if (e.status != "ready" || !e.storage_key) throw NotFound("This export failed; start another.");
  auto key =
      co_await p_.db.read([&](db::Connection& c) { return p_.keys.existing_key_in(c, user_id); });
  if (!key) throw NotFound("No export with this id exists.");
  auto reader = co_await p_.pool.run(
      [&] { return std::make_shared<storage::SealedReader>(p_.store, *e.storage_key, *key); });
  // Named: GCC 12 mishandles a braced temporary in a co_await expression.
  audit::Record downloaded{"export.downloaded", user_id, ip, {{"exportId", id}}};
  co_await p_.audit.append(std::move(downloaded));
  co_return Archive{std::move(e), std::move(reader)};
}

boost::asio::awaitable<std::size_t> ExportService::read(Archive& archive, std::uint64_t offset,
                                                        std::span<char> out) {
  co_return co_await p_.pool.run([&] { return archive.reader->read(offset, out); });
}

std::vector<std::string> ExportService::keys_of_user_in(db::Connection& c,
                                                        const std::string& user_id) {
  return repository_.keys_of_user(c, user_id);
}

boost::asio::awaitable<std::size_t> ExportService::tick() {
  auto now = std::chrono::steady_clock::now();
  // Expiry is looked for at least as often as exports expire.
  auto interval = std::min<std::chrono::steady_clock::duration>(kLookInterval, p_.lifetime);
  if (!requested_.exchange(false) && now - last_look_ < interval) co_return 0;
  if (last_look_ == std::chrono::steady_clock::time_point{}) {
    // The first look: work directories a stopped process left behind hold
    // decrypted files; nothing is being built here yet.
    co_await p_.pool.run([&] {
      std::error_code ec;
      fs::remove_all(p_.work_dir, ec);
    });
  }
  last_look_ = now;
  co_await remove_expired();
  co_return co_await run_pending();
}

boost::asio::awaitable<std::size_t> ExportService::run_pending() {
  if (running_.exchange(true)) {
    requested_ = true;
    co_return 0;
  }
  std::size_t built = 0;
  try {
    auto now = p_.clock.now_ms();
    auto pending =
        co_await p_.db.read([&](db::Connection& c) { return repository_.pending(c, now, 10); });
    for (auto& e : pending) {
      // Taken here, or by another process first.
      bool mine = co_await p_.db.write([&](db::Connection& c) {
        return repository_.claim(c, e.id, p_.clock.now_ms(), p_.clock.now_ms() + kClaimMs);
      });
      if (!mine) continue;
      co_await build(std::move(e));
      ++built;
    }
  } catch (...) {
    running_ = false;
    throw;
  }
  running_ = false;
  co_return built;
}

boost::asio::awaitable<void> ExportService::remove_expired() {
  auto expired = co_await p_.db.read(
      [&](db::Connection& c) { return repository_.expired(c, p_.clock.now_ms(), 100); });
  for (const auto& e : expired) {
    if (e.storage_key) co_await p_.pool.run([&] { p_.store.remove(*e.storage_key); });
    co_await p_.db.write([&](db::Connection& c) { repository_.remove(c, e.id); });
  }
}

boost::asio::awaitable<void> ExportService::build(Export e) {
  const auto& user_id = e.user_id;
  auto dir = fs::path(p_.work_dir) / ("export-" + e.id);
  struct RemoveDir {
    fs::path dir;
    ~RemoveDir() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  std::optional<std::string> failure;
  std::optional<std::string> storage_key;
  std::int64_t size = 0;
  try {
    co_await p_.pool.run([&] {
      fs::remove_all(dir);
      files::make_private_directory(dir.string());
    });
    Files files(dir);
    auto user = co_await p_.users.find_by_id(user_id);
    // Erased meanwhile: the erasure removes the row.
    if (!user || user->email.empty()) throw std::runtime_error("the account is being erased");
    auto add = [&](std::string name, std::string content) {
      return p_.pool.run([&files, name = std::move(name), content = std::move(content)] {
        files.add(name, content);
      });
    };
    auto profile = users::to_json(*user).as_object();
    auto days = [](const std::optional<std::int64_t>& d) -> boost::json::value {
      if (d) return *d;
      return nullptr;
    };
    profile["settings"] = {{"retention",
                            {{"recordingDays", days(user->retention_recording_days)},
                             {"transcriptDays", days(user->retention_transcript_days)}}}};
    co_await add("profile.json", pretty(profile));

    // A page of interviews at a time: each one's files, then the next page.
    Files::Array interviews_json(files, "interviews.json");
    Files::Array consents(files, "consents.json");
    std::optional<interviews::Cursor> cursor;
    do {
      auto page = co_await p_.interviews.list(user_id, cursor, kPage);
      cursor = page.next;
      co_await p_.pool.run([&] {
        for (const auto& i : page.items) interviews_json.add(interviews::to_json(i));
      });
      for (const auto& i : page.items) {
        auto folder = "interviews/" + i.id + "/";
        try {
          auto t = co_await p_.transcription.get(user_id, i.id);
          co_await add(folder + "transcript.json", pretty(transcription::to_json(t)));
          co_await add(folder + "transcript.vtt", transcription::to_webvtt(t));
        } catch (const NotFound&) {
        }
        try {
          auto a = co_await p_.analysis.get(user_id, i.id);
          co_await add(folder + "analysis.json", pretty(a));
        } catch (const NotFound&) {
        }
        try {
          auto playback = co_await p_.recordings.open(user_id, i.id);
          const auto& r = playback.recording;
          auto name = folder + "recording." + extension(r.container);
          co_await p_.pool.run([&] {
            consents.add({{"interviewId", i.id},
                          {"recordingId", r.id},
                          {"by", user_id},
                          {"scope", uploads::to_string(r.consent)},
                          {"at", format_rfc3339(r.consent_at_ms)}});
            files.add_stream(name, playback.reader->size(),
                             [&](std::uint64_t offset, std::span<char> out) {
                               return playback.reader->read(offset, out);
                             });
          });
        } catch (const NotFound&) {
        }
      }
    } while (cursor);
    co_await p_.pool.run([&] {
      interviews_json.close();
      consents.close();
    });

    Files::Array notifications(files, "notifications.json");
    std::optional<std::string> after;
    do {
      auto page = co_await p_.notifications.list(user_id, after, false, kPage);
      after = page.next_cursor;
      co_await p_.pool.run([&] {
        for (const auto& n : page.items) notifications.add(notifications::to_json(n));
      });
    } while (after);
    co_await p_.pool.run([&] { notifications.close(); });

    Files::Array audit(files, "audit.json");
    std::optional<std::int64_t> before;
    do {
      auto page = co_await p_.audit.list(user_id, before, kPage);
      before = page.next_cursor;
      co_await p_.pool.run([&] {
        for (const auto& entry : page.items) audit.add(audit::to_json(entry));
      });
    } while (before);
    co_await p_.pool.run([&] { audit.close(); });

    auto data_key = co_await p_.keys.key_for(user_id);
    // Each attempt its own object: a stale builder cannot touch the one
    // another finished.
    storage_key = "exports/" + e.id + "-" + crypto::hex_encode(crypto::random_bytes(6));
    size = co_await p_.pool.run([&] {
      files.add("manifest.json", files.manifest());
      auto archive = dir / "export.zip";
      files.zip_to(archive);
      // Sealed a piece at a time, like an upload.
      storage::SealedWriter writer(p_.store, *storage_key, data_key);
      std::ifstream in(archive, std::ios::binary);
      std::vector<char> buffer(kCopyChunk);
      std::int64_t total = 0;
      while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        auto n = in.gcount();
        if (n <= 0) break;
        writer.write({buffer.data(), static_cast<std::size_t>(n)});
        total += n;
      }
      writer.finish();
      return total;
    });
  } catch (const std::exception& ex) {
    failure = ex.what();
  }
  if (failure) {
    p_.logger.warn("export failed", {{"exportId", e.id}, {"error", *failure}});
    if (storage_key)
      co_await p_.pool.run([&] {
        try {
          p_.store.remove(*storage_key);
        } catch (...) {
        }
      });
    co_await p_.db.write([&](db::Connection& c) {
      repository_.finish(c, e.id, "failed", std::nullopt, std::nullopt);
    });
    co_return;
  }
  auto kept = co_await p_.db.write([&](db::Connection& c) {
    if (!repository_.finish(c, e.id, "ready", storage_key, size)) return false;
    p_.notifications.notify_in(
        c,
        {.user_id = user_id,
         .type = "export.ready",
         .title = "Your data export is ready",
         .body = "Download it from your account within 24 hours; after that it is deleted."},
        "export:" + e.id);
    return true;
  });
  if (!kept) co_await p_.pool.run([&] { p_.store.remove(*storage_key); });
  p_.logger.info("export ready", {{"exportId", e.id}, {"bytes", size}});
}

}  // namespace companion::privacy
