// Transcription of a long recording, end to end (decode, segment,
// recognise on 2 threads), against the raw recogniser on the same segments.
// Needs COMPANION_BENCH_AUDIO (bench/transcribe.sh makes a 60-minute
// two-speaker recording):
//   COMPANION_BENCH_AUDIO=call.wav build/companion_bench --benchmark_filter=Transcribe
// Counters: rtf (wall time / audio time), raw_s (the recogniser alone on
// the same segments, same threads), overhead_pct, peak_rss_mb (the whole
// process after the end-to-end run, models included).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "infra/asr/pocketsphinx_engine.hpp"
#include "infra/asr/segmenter.hpp"
#include "infra/asr/transcriber.hpp"
#include "infra/media/decoder.hpp"
#include "infra/media/probe.hpp"

namespace {
using namespace companion;

constexpr std::size_t kThreads = 2;

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

// The segments transcribe() would recognise, as PCM.
std::vector<std::vector<std::int16_t>> segments_of(const media::LocalFile& f) {
  std::vector<std::vector<std::int16_t>> channels;
  media::decode(f.read, f.size, {}, [&](const std::vector<std::span<const std::int16_t>>& b) {
    channels.resize(b.size());
    for (std::size_t c = 0; c < b.size(); ++c)
      channels[c].insert(channels[c].end(), b[c].begin(), b[c].end());
  });
  std::vector<std::vector<std::int16_t>> out;
  for (const auto& pcm : channels) {
    asr::Segmenter s;
    auto cut = s.push(pcm);
    auto rest = s.finish();
    cut.insert(cut.end(), rest.begin(), rest.end());
    for (const auto& seg : cut)
      out.emplace_back(
          pcm.begin() + static_cast<std::ptrdiff_t>(seg.begin),
          pcm.begin() + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(seg.end, pcm.size())));
  }
  return out;
}

void BM_TranscribeLongRecording(benchmark::State& state) {
  const char* path = std::getenv("COMPANION_BENCH_AUDIO");
  if (!path) {
    state.SkipWithError("COMPANION_BENCH_AUDIO is not set (bench/transcribe.sh)");
    return;
  }
  media::LocalFile file;
  try {
    file = media::open_local_file(path);
  } catch (const std::system_error& e) {
    state.SkipWithError(e.what());
    return;
  }
  asr::PocketsphinxEngine engine;
  for (auto _ : state) {
    auto started = std::chrono::steady_clock::now();
    auto t = asr::transcribe(file.read, file.size, engine, {.threads = kThreads});
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    double rss = peak_rss_mb();

    // The raw recogniser on the same segments, the same number of threads.
    auto segments = segments_of(file);
    std::atomic<std::size_t> next{0};
    started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < kThreads; ++i)
      threads.emplace_back([&, r = engine.recognizer()] {
        for (std::size_t k; (k = next++) < segments.size();) r->recognize(segments[k]);
      });
    for (auto& th : threads) th.join();
    double raw = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    state.counters["audio_s"] = t.duration;
    state.counters["wall_s"] = wall;
    state.counters["rtf"] = wall / t.duration;
    state.counters["raw_s"] = raw;
    state.counters["overhead_pct"] = 100.0 * (wall - raw) / raw;
    state.counters["peak_rss_mb"] = rss;
    state.counters["segments"] = double(t.segments.size());
  }
}
BENCHMARK(BM_TranscribeLongRecording)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace
