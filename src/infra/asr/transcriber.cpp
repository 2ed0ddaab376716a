#include "infra/asr/transcriber.hpp"

#include "infra/asr/diarization.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace companion::asr {
namespace {

constexpr int kRate = 16000;

struct Work {
  std::size_t order;
  int channel;
  std::uint64_t begin;  // samples
  std::vector<std::int16_t> pcm;
};

// A bounded queue of segments and the threads that recognise them.
class RecognitionPool {
 public:
  RecognitionPool(Engine& engine, std::size_t threads,
                  std::function<void(const TranscribedSegment&)> on_segment,
                  const std::function<bool()>& cancelled)
      : capacity_(threads * 2), on_segment_(std::move(on_segment)) {
    // Every recogniser first: if one cannot be had, no thread is running.
    std::vector<std::unique_ptr<Recognizer>> recognizers;
    for (std::size_t i = 0; i < threads; ++i) {
      recognizers.push_back(engine.recognizer());
      recognizers.back()->stop_when(cancelled);
    }
    for (auto& r : recognizers)
      workers_.emplace_back([this, r = std::move(r)]() mutable { work(*r); });
  }
  // Left without finish() (cancelled, or a failure): segments still queued
  // are dropped, so only those being recognised delay the return.
  ~RecognitionPool() {
    {
      std::lock_guard lock(m_);
      queue_.clear();
    }
    close();
  }

  // Blocks while the queue is full.
  void submit(Work w) {
    std::unique_lock lock(m_);
    space_.wait(lock, [&] { return queue_.size() < capacity_ || error_; });
    if (error_) std::rethrow_exception(error_);
    queue_.push_back(std::move(w));
    ready_.notify_one();
  }
  // A segment known already (from a checkpoint).
  void known(std::size_t order, TranscribedSegment seg) {
    std::lock_guard lock(m_);
    done_.emplace_back(order, std::move(seg));
  }
  // Waits for everything submitted; rethrows the first failure.
  std::vector<TranscribedSegment> finish() {
    close();
    if (error_) std::rethrow_exception(error_);
    std::sort(done_.begin(), done_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<TranscribedSegment> out;
    for (auto& [order, seg] : done_) out.push_back(std::move(seg));
    return out;
  }

 private:
  void close() {
    {
      std::lock_guard lock(m_);
      closed_ = true;
    }
    ready_.notify_all();
    for (auto& t : workers_)
      if (t.joinable()) t.join();
  }
  void work(Recognizer& recognizer) {
    for (;;) {
      Work w;
      {
        std::unique_lock lock(m_);
        ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return;
        w = std::move(queue_.front());
        queue_.pop_front();
        space_.notify_one();
      }
      try {
        auto r = recognizer.recognize(w.pcm);
        const double offset = double(w.begin) / kRate;
        TranscribedSegment seg{w.channel, w.begin, w.begin + w.pcm.size(), offset,
                               offset + double(w.pcm.size()) / kRate, r.text, std::move(r.words),
                               // Only the first channel is ever diarized
                               // (mono, or stereo that turns out mono).
                               w.channel == 0 ? voiceprint(w.pcm) : std::vector<float>{}};
        for (auto& word : seg.words) {
          word.start += offset;
          word.end += offset;
        }
        if (on_segment_) {
          std::lock_guard lock(callback_);
          on_segment_(seg);
        }
        std::lock_guard lock(m_);
        done_.emplace_back(w.order, std::move(seg));
      } catch (...) {
        std::lock_guard lock(m_);
        if (!error_) error_ = std::current_exception();
        space_.notify_all();
      }
    }
  }

  std::size_t capacity_;
  std::function<void(const TranscribedSegment&)> on_segment_;
  std::mutex callback_;
  std::mutex m_;
  std::condition_variable ready_, space_;
  std::deque<Work> queue_;
  std::vector<std::pair<std::size_t, TranscribedSegment>> done_;
  std::exception_ptr error_;
  bool closed_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace

Transcript transcribe(media::ReadAt read, std::uint64_t size, Engine& engine,
                      const TranscribeOptions& options) {
  RecognitionPool pool(engine, std::max<std::size_t>(options.threads, 1), options.on_segment,
                       options.cancelled);
  std::vector<Segmenter> segmenters;
  // Each channel's audio not yet cut into segments (bounded by the
  // segmenter's maximum length plus its hang).
  std::vector<std::deque<std::int16_t>> pending;
  std::vector<std::uint64_t> pending_begin;
  std::size_t order = 0;
  auto take = [&](std::size_t c, const std::vector<Segment>& segments) {
    for (const auto& s : segments) {
      if (options.cancelled && options.cancelled()) throw media::DecodeCancelled();
      auto from = static_cast<std::size_t>(std::max(s.begin, pending_begin[c]) - pending_begin[c]);
      auto to = static_cast<std::size_t>(
          std::min<std::uint64_t>(s.end - pending_begin[c], pending[c].size()));
      const auto begin = pending_begin[c] + from;
      const auto end = pending_begin[c] + to;
      std::optional<TranscribedSegment> before;
      if (options.recognised_before && end > begin)
        before = options.recognised_before(static_cast<int>(c), begin, end);
      if (before) {
        pool.known(order++, std::move(*before));
      } else {
        Work w{order++, static_cast<int>(c), begin,
               std::vector<std::int16_t>(pending[c].begin() + static_cast<std::ptrdiff_t>(from),
                                         pending[c].begin() + static_cast<std::ptrdiff_t>(to))};
        if (!w.pcm.empty()) pool.submit(std::move(w));
      }
      pending[c].erase(pending[c].begin(), pending[c].begin() + static_cast<std::ptrdiff_t>(to));
      pending_begin[c] += to;
    }
  };
  // Audio before a closed segment's start will never be needed again; keep
  // at most the padding's worth before the current point.
  const auto keep = static_cast<std::size_t>(kRate) * 2 +
                    static_cast<std::size_t>(options.segmenter.max_segment.count()) * kRate / 1000;
  // A mono recording stored as stereo (both channels the same, give or
  // take a lossy codec's rounding) is one speaker's channel, not two.
  double same_energy = 0, difference_energy = 0;
  media::DecodeOptions decode_options;
  decode_options.sample_rate = kRate;
  decode_options.cancelled = options.cancelled;
  decode_options.timeout = options.timeout;
  auto result = media::decode(
      std::move(read), size, decode_options,
      [&](const std::vector<std::span<const std::int16_t>>& block) {
        if (segmenters.empty()) {
          for (std::size_t c = 0; c < block.size(); ++c) segmenters.emplace_back(options.segmenter);
          pending.resize(block.size());
          pending_begin.assign(block.size(), 0);
        }
        if (block.size() == 2)
          for (std::size_t k = 0; k < block[0].size() && k < block[1].size(); ++k) {
            const double a = block[0][k], d = a - double(block[1][k]);
            same_energy += a * a;
            difference_energy += d * d;
          }
        for (std::size_t c = 0; c < block.size(); ++c) {
          pending[c].insert(pending[c].end(), block[c].begin(), block[c].end());
          take(c, segmenters[c].push(block[c]));
          if (pending[c].size() > keep) {  // a long silence: drop what no segment can use
            auto drop = pending[c].size() - keep;
            pending[c].erase(pending[c].begin(),
                             pending[c].begin() + static_cast<std::ptrdiff_t>(drop));
            pending_begin[c] += drop;
          }
        }
        if (options.on_progress && !pending_begin.empty())
          options.on_progress(double(pending_begin[0] + pending[0].size()) / kRate);
      });
  for (std::size_t c = 0; c < segmenters.size(); ++c) take(c, segmenters[c].finish());
  Transcript t;
  t.channels = result.channels;
  t.duration = double(result.frames) / kRate;
  t.segments = pool.finish();
  // 40 dB between the channels and their difference: the same channel twice.
  if (t.channels == 2 && same_energy > 0 && difference_energy <= same_energy * 1e-4) {
    t.channels = 1;
    std::erase_if(t.segments, [](const TranscribedSegment& s) { return s.channel == 1; });
  }
  std::stable_sort(t.segments.begin(), t.segments.end(),
                   [](const auto& a, const auto& b) { return a.start < b.start; });
  return t;
}

}  // namespace companion::asr
