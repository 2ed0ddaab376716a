#include "modules/uploads/tus_service.hpp"

#include <algorithm>

#include <boost/asio/this_coro.hpp>

#include "infra/crypto/digest.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/errors/errors.hpp"
#include "infra/media/probe.hpp"
#include "modules/uploads/upload_stream.hpp"

namespace companion::uploads {
namespace {

using boost::asio::awaitable;

constexpr const char* kNotFound = "There is no such upload.";

std::string describe(std::uint64_t bytes) {
  return std::to_string(bytes) + " bytes";
}

interviews::Status status_to_restore(const std::string& previous) {
  auto s = interviews::status_from_string(previous);
  return s == interviews::Status::kUploading ? interviews::Status::kCreated : s;
}

}  // namespace

// At most one request writes to an upload in this process; a second gets
// 409 at once instead of streaming bytes that could not be committed.
class TusService::Writing {
 public:
  Writing(TusService& service, std::string id) : service_(service), id_(std::move(id)) {
    std::lock_guard lock(service_.mutex_);
    if (!service_.writing_.insert(id_).second)
      throw Conflict(
          "Another request is writing to this upload; ask for its offset (HEAD) when it has "
          "finished.");
  }
  ~Writing() {
    std::lock_guard lock(service_.mutex_);
    service_.writing_.erase(id_);
  }
  Writing(const Writing&) = delete;
  Writing& operator=(const Writing&) = delete;

 private:
  TusService& service_;
  std::string id_;
};

TusService::TusService(TusSettings settings, db::Database& db, async::BlockingPool& storage_pool,
                       storage::BlobStore& store, users::DataKeys& keys,
                       interviews::InterviewsService& interviews, RecordingsService& recordings,
                       const Clock& clock, crypto::UuidV7Generator& ids, log::Logger& logger)
    : settings_(settings),
      db_(db),
      pool_(storage_pool),
      store_(store),
      keys_(keys),
      interviews_(interviews),
      recordings_(recordings),
      clock_(clock),
      ids_(ids),
      logger_(logger) {}

awaitable<Upload> TusService::create(CreateUpload in) {
  auto now = clock_.now_ms();
  Upload u;
  u.id = ids_.next();
  u.user_id = in.user_id;
  u.metadata = in.metadata;
  u.created_at_ms = now;
  u.expires_at_ms = now + settings_.expiry.count();
  std::vector<std::string> part_ids;
  if (in.concat) std::tie(u.concat, part_ids) = parse_concat(*in.concat);
  if (in.metadata.size() > 4096)
    throw ValidationError("Upload-Metadata", "must be at most 4096 bytes");
  auto meta = recording_metadata(in.metadata);
  if (u.concat != Concat::kPartial) {
    std::vector<FieldError> missing;
    if (!meta.interview_id)
      missing.push_back(
          {"Upload-Metadata.interviewId", "is required: the interview this recording is of"});
    if (!meta.consent)
      missing.push_back({"Upload-Metadata.consent",
                         "is required: who agreed to be recorded (all-parties or self-only)"});
    if (!missing.empty())
      throw ValidationError(std::move(missing),
                            "The upload's metadata must name the interview and the consent.");
    u.interview_id = meta.interview_id;
    u.consent = meta.consent;
    u.filename = meta.filename;
    u.filetype = meta.filetype;
  }
  if (u.concat == Concat::kFinal) {
    if (in.length || in.defer_length)
      throw BadRequest(
          "A final upload takes its length from its partial uploads; send no Upload-Length.");
  } else {
    if (in.length.has_value() == in.defer_length)
      throw BadRequest("Send either Upload-Length or Upload-Defer-Length: 1.");
    if (in.length && *in.length > settings_.max_size)
      throw TooLarge("The upload is larger than the maximum of " + describe(settings_.max_size) +
                     " (Tus-Max-Size).");
    u.length = in.length;
  }

  auto interview_missing = [] {
    return NotFound("The interview named in Upload-Metadata does not exist.");
  };
  if (u.concat == Concat::kPartial) {
    co_await db_.write([&](db::Connection& c) {
      check_open_limits_in(c, u);
      if (auto m = recordings_.metering()) m->admit_upload_in(c, u.user_id, std::nullopt, u.length);
      repository_.insert(c, u);
    });
    co_return u;
  }
  if (u.concat == Concat::kNone) {
    co_await db_.write([&](db::Connection& c) {
      check_open_limits_in(c, u);
      auto status = interviews_.status_in(c, u.user_id, *u.interview_id);
      if (!status) throw interview_missing();
      if (*status == interviews::Status::kTranscribing || *status == interviews::Status::kAnalyzing)
        throw Conflict(
            "The interview's recording is being processed; cancel it first to upload another.");
      if (auto m = recordings_.metering())
        m->admit_upload_in(c, u.user_id, *u.interview_id, u.length);
      repository_.insert(c, u);
    });
    co_return u;
  }

  // Final: the partial uploads' segments become this upload's, in order.
  bool again = false;
  co_await db_.write([&](db::Connection& c) {
    // The same request again (a client retries when the answer did not
    // reach it, or when finishing failed after this commit): the upload it
    // made, finished now if it was not.
    if (auto earlier = repository_.find_final(c, u.user_id, *u.interview_id, part_ids);
        earlier && earlier->metadata == u.metadata) {
      if (!earlier->completed_at_ms && earlier->expires_at_ms < now)
        throw Gone("This upload expired; start a new one.");
      u = std::move(*earlier);
      again = true;
      return;
    }
    std::vector<Upload> parts;
    std::uint64_t total = 0;
    for (const auto& id : part_ids) {
      if (std::count(part_ids.begin(), part_ids.end(), id) > 1)
        throw ValidationError("Upload-Concat", "names the upload " + id + " twice");
      auto p = repository_.find(c, u.user_id, id);
      if (!p || p->concat != Concat::kPartial)
        throw ValidationError("Upload-Concat", "names " + id + ", which is not a partial upload");
      if (!p->complete())
        throw ValidationError("Upload-Concat", "names " + id + ", which is not finished");
      if (p->completed_at_ms)
        throw ValidationError("Upload-Concat",
                              "names " + id + ", which is already part of a final upload");
      total += *p->length;
      parts.push_back(std::move(*p));
    }
    if (total > settings_.max_size)
      throw TooLarge("The partial uploads add up to more than the maximum of " +
                     describe(settings_.max_size) + " (Tus-Max-Size).");
    if (!interviews_.status_in(c, u.user_id, *u.interview_id)) throw interview_missing();
    if (auto m = recordings_.metering()) m->admit_upload_in(c, u.user_id, *u.interview_id, total);
    auto before = interviews_.begin_upload_in(c, u.user_id, *u.interview_id);
    if (!before) throw interview_missing();
    u.previous_status = std::string(interviews::to_string(*before));
    u.length = total;
    u.offset = total;
    u.parts = part_ids;
    repository_.insert(c, u);
    std::uint64_t shift = 0;
    for (const auto& p : parts) {
      repository_.move_segments(c, p.id, u.id, shift);
      // Another request joined it since it was read (PostgreSQL: the same
      // POST sent twice at once): this one steps back; its retry finds the
      // other's upload.
      if (!repository_.mark_completed(c, p.id, now))
        throw Conflict("These partial uploads are being joined by another request; try again.");
      shift += *p.length;
    }
  });
  if (again && u.completed_at_ms) co_return u;
  Writing guard(*this, u.id);
  if (again) {
    // The first attempt may have finished it while this one waited.
    auto current =
        co_await db_.read([&](db::Connection& c) { return repository_.find(c, u.user_id, u.id); });
    if (!current) throw NotFound(kNotFound);
    if (current->completed_at_ms) co_return std::move(*current);
  }
  co_await finish(u, in.traceparent);
  u.completed_at_ms = clock_.now_ms();
  co_return u;
}

void TusService::check_open_limits_in(db::Connection& c, const Upload& u) {
  auto open = repository_.open_usage(c, u.user_id, clock_.now_ms());
  if (open.count >= settings_.open_per_user)
    throw RateLimited("This account has " + std::to_string(open.count) +
                          " unfinished uploads, the most it may have; finish or delete one "
                          "(DELETE on its URL), or wait for it to expire.",
                      60);
  if (u.length && open.bytes + *u.length > settings_.pending_bytes_per_user)
    throw TooLarge("This account's unfinished uploads would hold more than " +
                   describe(settings_.pending_bytes_per_user) +
                   "; finish or delete one before starting another.");
}

std::uint64_t TusService::room_for(std::uint64_t others) const {
  auto budget = settings_.pending_bytes_per_user > others
                    ? settings_.pending_bytes_per_user - others
                    : std::uint64_t{0};
  return std::min(settings_.max_size, budget);
}

awaitable<Upload> TusService::get(std::string user_id, std::string id) {
  auto found =
      co_await db_.read([&](db::Connection& c) { return repository_.find(c, user_id, id); });
  if (!found) throw NotFound(kNotFound);
  if (!found->completed_at_ms && found->expires_at_ms < clock_.now_ms())
    throw Gone("This upload expired; start a new one.");
  co_return std::move(*found);
}

awaitable<AppendResult> TusService::append(AppendChunk in, ReadBody read_body) {
  Writing guard(*this, in.upload_id);
  auto slot = recordings_.upload_slot(in.user_id);
  auto u = co_await get(in.user_id, in.upload_id);
  if (u.concat == Concat::kFinal)
    throw Forbidden("A final upload is made of its partial uploads and cannot be appended to.");
  if (in.offset != u.offset)
    throw Conflict("Upload-Offset is " + std::to_string(in.offset) + " but the upload is at " +
                   std::to_string(u.offset) + "; continue from there.");
  const auto room = co_await admit_chunk(in, u);
  auto interrupted = co_await receive_chunk(in, u, room, std::move(read_body));
  if (interrupted) std::rethrow_exception(interrupted);

  AppendResult result{u, std::nullopt};
  if (u.concat == Concat::kNone && u.complete()) {
    result.interview = co_await finish(u, in.traceparent);
    result.upload.completed_at_ms = clock_.now_ms();
  }
  co_return result;
}

TooLarge TusService::too_large(std::uint64_t room) const {
  return room < settings_.max_size
             ? TooLarge("This account's unfinished uploads would hold more than " +
                        describe(settings_.pending_bytes_per_user) +
                        "; finish or delete one first.")
             : TooLarge("The upload is larger than the maximum of " + describe(settings_.max_size) +
                        " (Tus-Max-Size).");
}

awaitable<std::uint64_t> TusService::admit_chunk(const AppendChunk& in, Upload& u) {
  // The most this upload may grow to: the maximum size, and what the
  // user's other unfinished uploads leave of their allowance.
  std::uint64_t room = settings_.max_size;
  if (!u.length && u.concat != Concat::kFinal) {
    auto open = co_await db_.read(
        [&](db::Connection& c) { return repository_.open_usage(c, u.user_id, clock_.now_ms()); });
    room = room_for(open.bytes > u.offset ? open.bytes - u.offset : 0);
  }
  if (in.length) {
    if (u.length && *u.length != *in.length)
      throw BadRequest("Upload-Length cannot change once it is set.");
    if (!u.length && *in.length > room) throw too_large(room);
    if (!u.length && *in.length < u.offset)
      throw BadRequest("Upload-Length is less than what was already uploaded.");
  }
  const auto length = u.length ? u.length : in.length;
  if (length && in.content_length && u.offset + *in.content_length > *length)
    throw TooLarge("The chunk goes past the upload's length of " + describe(*length) + ".");
  // A deferred length is bounded all the same.
  if (!length && in.content_length && u.offset + *in.content_length > room) throw too_large(room);
  const bool expect_bytes = in.content_length.value_or(1) > 0;
  if (expect_bytes) {
    auto segments =
        co_await db_.read([&](db::Connection& c) { return repository_.segment_count(c, u.id); });
    if (segments >= settings_.max_segments)
      throw TooLarge("This upload already has " + std::to_string(segments) +
                     " pieces, the most one upload may have; send larger chunks.");
  }
  const bool starts_interview = expect_bytes && u.concat == Concat::kNone && !u.previous_status;
  if ((in.length && !u.length) || starts_interview) {
    // The first byte is arriving: the interview shows `uploading` (and a
    // length declared late is stored with it).
    co_await db_.write([&](db::Connection& c) {
      if (in.length && !u.length) repository_.set_length(c, u.id, *in.length);
      if (starts_interview) {
        auto before = interviews_.begin_upload_in(c, u.user_id, *u.interview_id);
        if (!before) throw NotFound("The interview of this upload no longer exists.");
        u.previous_status = std::string(interviews::to_string(*before));
        repository_.set_previous_status(c, u.id, *u.previous_status);
      }
    });
  }
  u.length = length;
  co_return room;
}

awaitable<std::exception_ptr> TusService::receive_chunk(const AppendChunk& in, Upload& u,
                                                        std::uint64_t room, ReadBody read_body) {
  const std::string segment_key = "uploads/" + u.user_id + "/" + u.id + "/" +
                                  std::to_string(u.offset) + "-" +
                                  crypto::hex_encode(crypto::random_bytes(6));
  std::optional<crypto::Digest> digest;
  if (in.checksum) digest.emplace(*crypto::digest_algorithm(in.checksum->algorithm));
  // Named first: GCC 12 destroys temporaries in a co_await expression twice.
  auto io = co_await boost::asio::this_coro::executor;
  UploadStream stream(
      io, pool_, recordings_.upload_batches(), store_,
      [&]() -> awaitable<std::string> { co_return co_await keys_.key_for(u.user_id); },
      {.key = segment_key,
       // Only the start of a whole upload can be sniffed (a partial upload
       // may be any piece of the file).
       .starts_file = u.concat == Concat::kNone && u.offset == 0,
       .check_size =
           [&](std::uint64_t total) {
             if (u.length && u.offset + total > *u.length)
               throw TooLarge("The chunk goes past the upload's length of " + describe(*u.length) +
                              ".");
             if (!u.length && u.offset + total > room) throw too_large(room);
           },
       .digest = digest ? &*digest : nullptr});

  std::exception_ptr interrupted;  // the client went away or the body broke off
  std::exception_ptr failure;      // nothing of this chunk is kept
  try {
    interrupted = co_await stream.read(read_body);
    if (interrupted && digest) std::rethrow_exception(interrupted);  // unverifiable
    if (digest && digest->finish() != in.checksum->digest)
      throw ChecksumMismatch("The chunk does not match its Upload-Checksum; it was discarded.");
    // What arrived of a broken-off chunk is kept: the client resumes after it.
    co_await stream.finish(!interrupted && u.length && u.offset + stream.bytes() == *u.length);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    co_await stream.discard();
    // A file that is not media: the whole upload goes, for this reason.
    std::optional<std::string> refused;
    try {
      std::rethrow_exception(failure);
    } catch (const UnsupportedMedia& e) {
      refused = e.what();
    } catch (...) {
    }
    if (refused) co_await fail(u, *refused);
    std::rethrow_exception(failure);
  }
  const std::uint64_t received = stream.bytes();

  if (received > 0) {
    // The segment counts from here on, and only if nobody moved the offset.
    UploadSegment segment{u.offset, received, segment_key};
    auto expires = clock_.now_ms() + settings_.expiry.count();
    std::exception_ptr db_failure;
    bool appended = false;
    try {
      appended = co_await db_.write([&](db::Connection& c) {
        return repository_.append_segment(c, u.id, u.offset, segment, expires);
      });
    } catch (...) {
      db_failure = std::current_exception();
    }
    if (!appended) {
      co_await pool_.run([&] {
        try {
          store_.remove(segment_key);
        } catch (const std::exception&) {
        }
      });
      if (db_failure) std::rethrow_exception(db_failure);
      throw Conflict("Another request wrote to this upload first; ask for its offset (HEAD).");
    }
    u.offset += received;
    u.expires_at_ms = expires;
  }
  co_return interrupted;
}

awaitable<interviews::Interview> TusService::finish(Upload u, std::string traceparent) {
  auto segments =
      co_await db_.read([&](db::Connection& c) { return repository_.segments(c, u.id); });
  StoredParts parts{u.user_id,
                    *u.interview_id,
                    u.consent.value_or(Consent::kSelfOnly),
                    u.created_at_ms,
                    u.filename,
                    {},
                    std::move(traceparent)};
  for (auto& s : segments) parts.parts.push_back({s.storage_key, s.size});
  auto id = u.id;
  std::function<void(db::Connection&)> also = [this, id](db::Connection& c) {
    if (!repository_.mark_completed(c, id, clock_.now_ms()))
      throw Conflict("This upload was already finished.");
    repository_.drop_segments(c, id);
  };
  std::exception_ptr failure;
  std::string reason;
  try {
    co_return co_await recordings_.adopt(std::move(parts), std::move(also));
  } catch (const Unprocessable& e) {
    failure = std::current_exception();
    reason = e.what();
  }
  co_await fail(u, reason);
  std::rethrow_exception(failure);
}

void TusService::drop_in(db::Connection& c, const Upload& upload,
                         std::optional<std::string> refused) {
  auto u = repository_.find_any(c, upload.id);
  if (!u) return;
  std::vector<std::string> keys;
  for (auto& s : repository_.segments(c, u->id)) keys.push_back(s.storage_key);
  recordings_.discard_in(c, keys);
  if (!u->completed_at_ms && u->previous_status && u->interview_id &&
      !repository_.other_in_progress(c, *u->interview_id, u->id)) {
    auto previous = status_to_restore(*u->previous_status);
    if (refused)
      interviews_.reject_upload_in(c, u->user_id, *u->interview_id, previous, *refused);
    else
      interviews_.restore_status_in(c, u->user_id, *u->interview_id, previous);
  }
  repository_.remove(c, u->id);
}

awaitable<void> TusService::fail(const Upload& upload, std::string reason) {
  co_await db_.write([&](db::Connection& c) { drop_in(c, upload, reason); });
  co_await recordings_.collect_garbage();
}

awaitable<void> TusService::terminate(std::string user_id, std::string id) {
  bool found = co_await db_.write([&](db::Connection& c) {
    auto u = repository_.find(c, user_id, id);
    if (!u) return false;
    drop_in(c, *u);
    return true;
  });
  if (!found) throw NotFound(kNotFound);
  co_await recordings_.collect_garbage();
}

awaitable<TusService::SweepReport> TusService::sweep() {
  SweepReport report;
  auto now = clock_.now_ms();
  auto expired =
      co_await db_.read([&](db::Connection& c) { return repository_.expired(c, now, 500); });
  for (const auto& id : expired) {
    {
      std::lock_guard lock(mutex_);
      if (writing_.contains(id)) continue;
    }
    bool dropped = co_await db_.write([&](db::Connection& c) {
      auto u = repository_.find_any(c, id);
      if (!u || u->expires_at_ms >= now) return false;
      drop_in(c, *u);
      return true;
    });
    if (dropped) ++report.expired;
  }
  auto stalled =
      co_await db_.read([&](db::Connection& c) { return repository_.unfinished_complete(c, 50); });
  for (const auto& id : stalled) {
    std::optional<Writing> guard;
    try {
      guard.emplace(*this, id);
    } catch (const Conflict&) {
      continue;  // being written or finished right now
    }
    auto u = co_await db_.read([&](db::Connection& c) { return repository_.find_any(c, id); });
    if (!u || u->completed_at_ms || !u->complete()) continue;
    try {
      co_await finish(std::move(*u));
      ++report.finished;
    } catch (const std::exception& e) {
      logger_.warn("an interrupted upload could not be finished",
                   {{"uploadId", id}, {"error", e.what()}});
    }
  }
  report.collected = co_await recordings_.collect_garbage();
  co_return report;
}

std::vector<std::string> TusService::keys_of_user_in(db::Connection& c,
                                                     const std::string& user_id) {
  return repository_.keys_for_user(c, user_id);
}

void TusService::forget_interview_in(db::Connection& c, const std::string& interview_id) {
  recordings_.discard_in(c, repository_.keys_for_interview(c, interview_id));
}

}  // namespace companion::uploads
