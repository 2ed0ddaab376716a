#include "app/analyze_file.hpp"

#include <unistd.h>

#include <boost/json.hpp>

#include <cmath>
#include <iostream>
#include <sstream>

#include "app/components.hpp"
#include "infra/asr/transcriber.hpp"
#include "infra/media/decoder.hpp"
#include "infra/media/probe.hpp"
#include "modules/analysis/delivery.hpp"
#include "modules/transcription/transcript.hpp"

namespace companion::app {
namespace {

std::string clock_time(double seconds) {
  auto total = static_cast<long>(std::lround(seconds));
  std::ostringstream out;
  if (total >= 3600) out << total / 3600 << ":" << (total / 60 % 60 < 10 ? "0" : "");
  out << total / 60 % 60 << ":" << (total % 60 < 10 ? "0" : "") << total % 60;
  return out.str();
}

void print_text(const transcription::Transcript& t, const analysis::Delivery& d) {
  auto& out = std::cout;
  out << "Recording: " << clock_time(d.duration_seconds) << ", speech "
      << clock_time(d.talk_seconds) << ", " << t.speakers.size()
      << (t.speakers.size() == 1 ? " speaker" : " speakers") << " (" << t.engine << ", "
      << t.language << ")\n\n";
  for (const auto& s : d.speakers) {
    out << s.label << " (" << s.id << "): talks " << clock_time(s.talk_seconds) << " ("
        << std::lround(s.talk_ratio * 100) << " %), " << s.words << " words, "
        << std::lround(s.words_per_minute) << " words a minute, longest monologue "
        << clock_time(s.longest_monologue_seconds) << ", " << s.pauses << " pauses";
    if (!s.long_pauses.empty()) out << " (" << s.long_pauses.size() << " long)";
    out << "\n";
  }
  out << "\nTranscript\n\n" << transcription::to_text(t);
}

}  // namespace

int run_analyze(const Settings& s) {
  try {
    auto file = media::open_local_file(s.analyze_file);
    SystemClock clock;
    auto engine = open_asr_engine(s.processing, clock);
    asr::TranscribeOptions options;
    options.threads = s.processing.asr_threads * s.processing.transcribe_concurrency;
    const bool terminal = ::isatty(STDERR_FILENO) != 0;
    int shown = -1;
    options.on_progress = [&](double seconds) {
      if (!terminal) return;
      auto minute = static_cast<int>(seconds / 60);
      if (minute == shown) return;
      shown = minute;
      std::cerr << "\rdecoded " << minute << " min" << std::flush;
    };
    auto recognised = asr::transcribe(file.read, file.size, *engine, options);
    if (terminal) std::cerr << "\r" << std::string(24, ' ') << "\r";
    auto transcript = transcription::build_transcript(recognised);
    transcript.engine = engine->name();
    transcript.language = engine->language();
    auto delivery = analysis::measure_delivery(transcript);
    if (s.analyze_format == "json") {
      boost::json::object report{{"transcript", transcription::to_json(transcript)},
                                 {"analysis", analysis::to_json(delivery)}};
      std::cout << boost::json::serialize(report) << "\n";
    } else {
      print_text(transcript, delivery);
    }
    return 0;
  } catch (const media::MediaError& e) {
    std::cerr << "interview-companion: " << s.analyze_file
              << " is not a recording we can read: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "interview-companion: " << e.what() << "\n";
  }
  return 1;
}

}  // namespace companion::app
