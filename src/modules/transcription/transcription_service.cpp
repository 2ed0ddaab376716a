#include "modules/transcription/transcription_service.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <mutex>

#include "infra/asr/transcriber.hpp"
#include "infra/errors/errors.hpp"
#include "infra/media/decoder.hpp"

namespace companion::transcription {

TranscriptionService::TranscriptionService(TranscriptionSettings settings, db::Database& db,
                                           async::BlockingPool& pool,
                                           uploads::RecordingsService& recordings,
                                           interviews::InterviewsService& interviews,
                                           users::DataKeys& keys, asr::Engine& engine,
                                           outbox::Outbox& outbox, const Clock& clock,
                                           log::Logger& logger)
    : settings_(std::move(settings)),
      db_(db),
      pool_(pool),
      recordings_(recordings),
      interviews_(interviews),
      engine_(engine),
      outbox_(outbox),
      clock_(clock),
      logger_(logger),
      repository_(keys) {}

boost::asio::awaitable<void> TranscriptionService::transcribe(queue::Envelope event) {
  const auto interview_id = event.field("interviewId");
  const auto user_id = event.field("userId");
  const auto run_id = event.field("runId");
  const auto span = event.trace();
  if (handing_back_) throw queue::HandedBack("the worker is shutting down");

  bool start = false;
  try {
    start = co_await db_.write([&](db::Connection& c) {
      if (processed_.seen_in(c, modules::stage_name(kStage), event.event_id)) return false;
      if (interviews_.begin_stage_in(c, interview_id, run_id, kStage)) {
        // The saga's first step, with the stage change: the minutes are
        // taken (once per job) or the run fails before any work.
        if (metering_)
          if (auto ms = recordings_.duration_ms_in(c, user_id, interview_id))
            metering_->reserve_in(c, event.event_id, user_id, interview_id, *ms);
        return true;
      }
      processed_.record_in(c, modules::stage_name(kStage), event.event_id,
                           clock_.now_ms());  // an earlier run's
      // Cancelled or superseded after a reservation: it goes back.
      if (metering_) metering_->release_in(c, event.event_id);
      return false;
    });
  } catch (const QuotaExceeded& e) {
    logger_.info(
        "transcription refused: over the plan's minutes",
        {{"interviewId", interview_id}, {"detail", e.detail()}, {"traceId", span.trace_id}});
    std::throw_with_nested(queue::PermanentFailure(e.detail()));
  }
  if (!start) co_return;

  uploads::Playback playback;
  bool gone = false;
  try {
    playback = co_await recordings_.open(user_id, interview_id);
  } catch (const NotFound&) {
    gone = true;
  }
  if (gone) {
    // Deleted meanwhile: what it reserved goes back.
    if (metering_)
      co_await db_.write([&](db::Connection& c) { metering_->release_in(c, event.event_id); });
    co_return;
  }
  const auto recording_id = playback.recording.id;
  auto done = co_await db_.read(
      [&](db::Connection& c) { return repository_.checkpoints(c, user_id, recording_id); });
  const double duration = std::max(1.0, double(playback.recording.duration_ms) / 1000.0);
  if (!done.empty())
    logger_.info(
        "resuming a transcription",
        {{"interviewId", interview_id}, {"segmentsDone", done.size()}, {"traceId", span.trace_id}});

  // Finished segments wait here until the next checkpoint, which the
  // decode thread or a recognition thread takes when the interval passed.
  std::mutex m;
  std::vector<asr::TranscribedSegment> unsaved;
  std::atomic<bool> stop{false};
  std::atomic<double> decoded{0};
  std::mutex checkpointing;
  auto last = std::chrono::steady_clock::now();
  auto checkpoint = [&] {
    std::vector<asr::TranscribedSegment> batch;
    {
      std::lock_guard lock(m);
      batch.swap(unsaved);
    }
    if (!batch.empty()) {
      auto save = [&](db::Connection& c) {
        if (!interviews_.run_active_in(c, interview_id, run_id)) return false;
        repository_.add_checkpoints(c, user_id, recording_id, batch);
        return true;
      };
      if (!db_.transact(save)) stop = true;
    }
    int percent = std::min(99, static_cast<int>(decoded.load() * 100.0 / duration));
    if (!interviews_.report_progress(interview_id, run_id, kStage, percent)) stop = true;
  };
  auto maybe_checkpoint = [&] {
    std::unique_lock lock(checkpointing, std::try_to_lock);
    if (!lock) return;  // another thread is at it
    auto now = std::chrono::steady_clock::now();
    if (now - last < settings_.checkpoint_interval) return;
    last = now;
    checkpoint();
  };

  asr::TranscribeOptions options;
  options.threads = settings_.threads;
  options.segmenter = settings_.segmenter;
  options.cancelled = [&] { return stop.load() || handing_back_.load(); };
  options.recognised_before = [&](int channel, std::uint64_t begin,
                                  std::uint64_t end) -> std::optional<asr::TranscribedSegment> {
    auto it = done.find({channel, begin});
    if (it == done.end() || it->second.end_sample != end) return std::nullopt;
    return it->second;
  };
  options.on_segment = [&](const asr::TranscribedSegment& s) {
    if (event.alive) event.alive();
    {
      std::lock_guard lock(m);
      unsaved.push_back(s);
    }
    maybe_checkpoint();
  };
  options.on_progress = [&](double seconds) {
    if (event.alive) event.alive();
    decoded = seconds;
    maybe_checkpoint();
  };

  asr::Transcript recognised;
  bool cancelled = false;
  try {
    recognised = co_await pool_.run([&] {
      auto reader = playback.reader;
      try {
        return asr::transcribe([reader](std::uint64_t offset,
                                        std::span<char> out) { return reader->read(offset, out); },
                               reader->size(), engine_, options);
      } catch (...) {
        // Whatever stopped it (a shutdown, a failing recogniser, storage),
        // the segments finished since the last checkpoint are kept for the
        // next attempt. On this pool's thread: the save blocks.
        try {
          checkpoint();
        } catch (const std::exception& e) {
          logger_.warn("could not save finished segments",
                       {{"interviewId", interview_id}, {"error", e.what()}});
        }
        throw;
      }
    });
  } catch (const media::DecodeCancelled&) {
    if (handing_back_)
      throw queue::HandedBack("the worker is shutting down; the transcription was handed back");
    logger_.info("transcription stopped: the run was cancelled",
                 {{"interviewId", interview_id}, {"traceId", span.trace_id}});
    cancelled = true;
  } catch (const media::MediaError& e) {
    // Trying again cannot help; the cause stays inside for the reason.
    std::throw_with_nested(queue::PermanentFailure(e.what()));
  }
  if (cancelled) {
    // The compensation: a cancelled run counts nothing.
    if (metering_)
      co_await db_.write([&](db::Connection& c) { metering_->release_in(c, event.event_id); });
    co_return;
  }

  auto transcript = build_transcript(recognised);
  transcript.interview_id = interview_id;
  transcript.recording_id = recording_id;
  transcript.engine = engine_.name();
  transcript.language = engine_.language();
  transcript.created_at_ms = transcript.updated_at_ms = clock_.now_ms();
  if (settings_.redact) {
    auto n = redact(transcript, redactor_);
    if (n > 0)
      logger_.info("transcript redacted",
                   {{"interviewId", interview_id}, {"replaced", static_cast<std::int64_t>(n)}});
  }
  co_await db_.write([&](db::Connection& c) {
    if (!interviews_.run_active_in(c, interview_id, run_id)) {
      // Cancelled, deleted or superseded after the last checkpoint: the
      // result is dropped, and so is what it reserved.
      if (metering_) metering_->release_in(c, event.event_id);
      return;
    }
    if (!processed_.record_in(c, modules::stage_name(kStage), event.event_id, clock_.now_ms()))
      return;
    repository_.save(c, user_id, transcript);
    repository_.clear_checkpoints(c, recording_id);
    interviews_.finish_stage_in(c, interview_id, run_id, kStage);
    if (metering_) metering_->commit_in(c, event.event_id);
    outbox_.append_in(c, {"transcript.ready",
                          interview_id,
                          {{"interviewId", interview_id},
                           {"userId", user_id},
                           {"runId", run_id},
                           {"segments", transcript.segments.size()}},
                          span.traceparent()});
  });
  logger_.info("transcribed", {{"interviewId", interview_id},
                               {"segments", transcript.segments.size()},
                               {"resumedSegments", done.size()},
                               {"durationSeconds", transcript.duration},
                               {"traceId", span.trace_id}});
}

boost::asio::awaitable<void> TranscriptionService::give_up(queue::Envelope event,
                                                           queue::Burial burial) {
  // The compensation first: a crash before the interview is marked failed
  // leaves the user uncharged, never charged for work that did not happen.
  if (metering_)
    co_await db_.write([&](db::Connection& c) { metering_->release_in(c, event.event_id); });
  co_await interviews_.give_up_stage(kStage, std::move(event), std::move(burial));
}

boost::asio::awaitable<Transcript> TranscriptionService::get(std::string user_id,
                                                             std::string interview_id) {
  auto found = co_await db_.read([&](db::Connection& c) -> std::optional<Transcript> {
    if (!interviews_.status_in(c, user_id, interview_id)) return std::nullopt;
    return repository_.find(c, user_id, interview_id);
  });
  if (!found) throw NotFound("This interview has no transcript yet.");
  co_return *found;
}

boost::asio::awaitable<Transcript> TranscriptionService::rename_speakers(
    std::string user_id, std::string interview_id, std::vector<SpeakerLabel> labels) {
  auto now = clock_.now_ms();
  auto found = co_await db_.write([&](db::Connection& c) -> std::optional<Transcript> {
    if (!interviews_.status_in(c, user_id, interview_id)) return std::nullopt;
    auto t = repository_.find(c, user_id, interview_id);
    if (!t) return std::nullopt;
    for (std::size_t k = 0; k < labels.size(); ++k) {
      auto it = std::find_if(t->speakers.begin(), t->speakers.end(),
                             [&](const Speaker& s) { return s.id == labels[k].id; });
      if (it == t->speakers.end())
        throw ValidationError("speakers[" + std::to_string(k) + "].id",
                              "is not a speaker of this transcript");
      it->label = labels[k].label;
    }
    repository_.update_speakers(c, user_id, interview_id, t->speakers, now);
    t->updated_at_ms = now;
    return t;
  });
  if (!found) throw NotFound("This interview has no transcript yet.");
  co_return *found;
}

std::optional<Transcript> TranscriptionService::find_in(db::Connection& c,
                                                        const std::string& user_id,
                                                        const std::string& interview_id) {
  return repository_.find(c, user_id, interview_id);
}

bool TranscriptionService::remove_in(db::Connection& c, const std::string& interview_id) {
  return repository_.remove(c, interview_id);
}

}  // namespace companion::transcription
