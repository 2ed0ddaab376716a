#include "modules/uploads/recordings_service.hpp"

#include <boost/json.hpp>

#include <cmath>

#include <boost/asio/this_coro.hpp>

#include "infra/errors/errors.hpp"
#include "infra/media/probe.hpp"
#include "modules/uploads/upload_stream.hpp"

namespace companion::uploads {
RecordingsService::RecordingsService(db::Database& db, async::BlockingPool& storage_pool,
                                     storage::BlobStore& store, users::DataKeys& keys,
                                     interviews::InterviewsService& interviews,
                                     outbox::Outbox& outbox, const Clock& clock,
                                     crypto::UuidV7Generator& ids, log::Logger& logger,
                                     std::size_t concurrent_uploads_per_user)
    : db_(db),
      pool_(storage_pool),
      store_(store),
      keys_(keys),
      interviews_(interviews),
      outbox_(outbox),
      clock_(clock),
      ids_(ids),
      logger_(logger),
      slots_(concurrent_uploads_per_user),
      // Two batches an upload: as many idle as four uploads use.
      batches_(UploadStream::batch_pool(8)) {}

boost::asio::awaitable<interviews::Interview> RecordingsService::store(NewRecording in,
                                                                       ReadBody read_body) {
  auto slot = upload_slot(in.user_id);
  if (metering_) {
    co_await db_.write([&](db::Connection& c) {
      if (!interviews_.status_in(c, in.user_id, in.interview_id))
        throw NotFound("No interview with this id exists.");
      metering_->admit_upload_in(c, in.user_id, in.interview_id, in.size);
    });
  }
  auto previous = co_await interviews_.begin_upload(in.user_id, in.interview_id);
  StoredParts parts{in.user_id, in.interview_id, in.consent, clock_.now_ms(), in.filename,
                    {},         in.traceparent};
  auto key_name = "recordings/" + in.user_id + "/" + in.interview_id + "/" + ids_.next();

  bool committed_blob = false;
  std::exception_ptr failure;
  try {
    // Named first: GCC 12 destroys temporaries in a co_await expression twice.
    auto io = co_await boost::asio::this_coro::executor;
    UploadStream stream(io, pool_, batches_, store_,
                        [&]() -> boost::asio::awaitable<std::string> {
                          co_return co_await keys_.key_for(in.user_id);
                        },
                        {.key = key_name});
    // A broken-off body keeps nothing.
    if (auto broke_off = co_await stream.read(read_body)) {
      co_await stream.discard();
      std::rethrow_exception(broke_off);
    }
    if (stream.bytes() == 0) throw Unprocessable("The recording is empty.");
    co_await stream.finish(/*file_complete=*/true);
    committed_blob = true;
    parts.parts.push_back({key_name, stream.bytes()});
    co_return co_await adopt(std::move(parts));
  } catch (...) {
    failure = std::current_exception();
  }
  // Nothing of a failed upload is kept; the interview is as it was.
  if (committed_blob) {
    co_await pool_.run([&] {
      try {
        store_.remove(key_name);
      } catch (const std::exception&) {
      }
    });
  }
  // A refused file leaves its reason on the interview; a broken transfer
  // leaves the interview as it was.
  std::optional<std::string> reason;
  try {
    std::rethrow_exception(failure);
  } catch (const UnsupportedMedia& e) {
    reason = e.what();
  } catch (const Unprocessable& e) {
    reason = e.what();
  } catch (...) {
  }
  if (reason)
    co_await interviews_.reject_upload(in.user_id, in.interview_id, previous, *reason);
  else
    co_await interviews_.restore_status(in.user_id, in.interview_id, previous);
  std::rethrow_exception(failure);
}

boost::asio::awaitable<interviews::Interview> RecordingsService::adopt(
    StoredParts in, std::function<void(db::Connection&)> also) {
  if (in.parts.empty()) throw Unprocessable("The recording is empty.");
  Recording r;
  r.id = ids_.next();
  r.interview_id = in.interview_id;
  r.user_id = in.user_id;
  r.storage_key = in.parts.front().key;
  r.parts = in.parts;
  r.consent = in.consent;
  r.consent_at_ms = in.consent_at_ms;
  r.filename = in.filename;
  for (const auto& p : r.parts) r.size_bytes += p.size;
  if (r.size_bytes == 0) throw Unprocessable("The recording is empty.");

  auto key = co_await keys_.key_for(in.user_id);
  media::AudioInfo info;
  try {
    info = co_await pool_.run([&] {
      storage::SealedSequenceReader reader(store_, r.parts, key);
      return media::probe(
          [&](std::uint64_t off, std::span<char> out) { return reader.read(off, out); },
          reader.size());
    });
  } catch (const media::MediaError& e) {
    throw Unprocessable("The recording cannot be used: " + std::string(e.what()) + ".");
  }
  r.duration_ms = static_cast<std::int64_t>(std::llround(info.duration_seconds * 1000.0));
  r.mime_type = info.mime_type;
  r.container = info.container;
  r.codec = info.codec;
  r.channels = info.channels;
  r.sample_rate = info.sample_rate;
  r.uploaded_at_ms = clock_.now_ms();

  auto summary = summary_json(r);
  std::vector<std::string> replaced;
  auto interview = co_await db_.write([&](db::Connection& c) {
    if (metering_) metering_->admit_size_in(c, r.user_id, r.size_bytes);
    replaced = repository_.replace(c, r);
    garbage_.add(c, replaced, r.uploaded_at_ms);
    auto updated = interviews_.attach_recording_in(c, r.user_id, r.interview_id, summary);
    boost::json::object payload;
    payload["interviewId"] = r.interview_id;
    payload["recordingId"] = r.id;
    payload["userId"] = r.user_id;
    payload["runId"] = *updated.run_id;
    payload["durationSeconds"] = static_cast<double>(r.duration_ms) / 1000.0;
    payload["channels"] = r.channels;
    outbox_.append_in(c,
                      {"recording.uploaded", r.interview_id, std::move(payload), in.traceparent});
    if (also) also(c);
    return updated;
  });
  if (!replaced.empty()) co_await collect_garbage(std::move(replaced));
  co_return interview;
}

void RecordingsService::forget_interview_in(db::Connection& c, const std::string& interview_id) {
  garbage_.add(c, repository_.keys_for_interview(c, interview_id), clock_.now_ms());
}

void RecordingsService::discard_in(db::Connection& c, const std::vector<std::string>& keys) {
  garbage_.add(c, keys, clock_.now_ms());
}

std::optional<std::vector<std::string>> RecordingsService::remove_in(
    db::Connection& c, const std::string& interview_id) {
  auto keys = repository_.keys_for_interview(c, interview_id);
  if (!repository_.remove(c, interview_id)) return std::nullopt;
  garbage_.add(c, keys, clock_.now_ms());
  return keys;
}

std::vector<std::string> RecordingsService::keys_of_user_in(db::Connection& c,
                                                            const std::string& user_id) {
  return repository_.keys_for_user(c, user_id);
}

boost::asio::awaitable<std::size_t> RecordingsService::collect_garbage(
    std::vector<std::string> keys) {
  std::vector<std::string> removed;
  co_await pool_.run([&] {
    for (const auto& k : keys) {
      try {
        store_.remove(k);
        removed.push_back(k);
      } catch (const std::exception& e) {
        logger_.warn("could not remove a stored object; the sweeper tries again",
                     {{"key", k}, {"error", e.what()}});
      }
    }
  });
  auto failed = keys.size() - removed.size();
  if (removed.empty()) co_return failed;
  co_await db_.write([&](db::Connection& c) {
    for (const auto& k : removed) garbage_.forget(c, k);
  });
  co_return failed;
}

boost::asio::awaitable<std::size_t> RecordingsService::collect_garbage() {
  auto keys = co_await db_.read([&](db::Connection& c) { return garbage_.oldest(c, 1000); });
  auto n = keys.size();
  if (n > 0) co_await collect_garbage(std::move(keys));
  co_return n;
}

std::optional<std::int64_t> RecordingsService::duration_ms_in(db::Connection& c,
                                                              const std::string& user_id,
                                                              const std::string& interview_id) {
  auto r = repository_.find_for_interview(c, user_id, interview_id);
  if (!r) return std::nullopt;
  return r->duration_ms;
}

boost::asio::awaitable<Playback> RecordingsService::open(std::string user_id,
                                                         std::string interview_id) {
  auto found = co_await db_.read(
      [&](db::Connection& c) { return repository_.find_for_interview(c, user_id, interview_id); });
  if (!found) throw NotFound("This interview has no recording.");
  auto key =
      co_await db_.read([&](db::Connection& c) { return keys_.existing_key_in(c, user_id); });
  if (!key) throw NotFound("This interview has no recording.");
  auto reader = co_await pool_.run(
      [&] { return std::make_shared<storage::SealedSequenceReader>(store_, found->parts, *key); });
  co_return Playback{std::move(*found), std::move(reader)};
}

boost::asio::awaitable<std::size_t> RecordingsService::read(Playback& playback,
                                                            std::uint64_t offset,
                                                            std::span<char> out) {
  co_return co_await pool_.run([&] { return playback.reader->read(offset, out); });
}

}  // namespace companion::uploads
