#include "app/analyze_file.hpp"

#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/components.hpp"
#include "infra/asr/transcriber.hpp"
#include "infra/clock/rfc3339.hpp"
#include "infra/llm/chat_model.hpp"
#include "infra/media/decoder.hpp"
#include "infra/media/probe.hpp"
#include "modules/analysis/engine.hpp"
#include "modules/analysis/llm_feedback.hpp"
#include "modules/analysis/report_page.hpp"
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

std::string quoted(const analysis::Evidence& e) {
  return "\"" + e.quote + "\" (" + clock_time(e.start) + ")";
}

std::string label_of(const transcription::Transcript& t, const std::string& id) {
  const auto* s = t.speaker(id);
  return s ? s->label : id;
}

void print_findings(std::ostream& out, const std::vector<analysis::Finding>& findings,
                    const char* indent) {
  for (const auto& f : findings) {
    out << indent << "- " << f.text << "\n";
    for (const auto& e : f.evidence) out << indent << "    " << quoted(e) << "\n";
  }
}

std::string print_text(const transcription::Transcript& t, const analysis::Analysis& a) {
  std::ostringstream out;
  const auto& d = a.delivery;
  out << "Recording: " << clock_time(d.duration_seconds) << ", speech "
      << clock_time(d.talk_seconds) << ", " << t.speakers.size()
      << (t.speakers.size() == 1 ? " speaker" : " speakers") << " (" << t.engine << ", "
      << t.language << ")\n";
  if (a.roles.interviewer) out << "Interviewer: " << label_of(t, *a.roles.interviewer) << ". ";
  if (a.roles.candidate) out << "Candidate: " << label_of(t, *a.roles.candidate) << ".";
  out << "\n\n";
  for (std::size_t i = 0; i < d.speakers.size(); ++i) {
    const auto& s = d.speakers[i];
    out << s.label << " (" << s.id << "): talks " << clock_time(s.talk_seconds) << " ("
        << std::lround(s.talk_ratio * 100) << " %), " << s.words << " words, "
        << std::lround(s.words_per_minute) << " words a minute, longest monologue "
        << clock_time(s.longest_monologue_seconds) << ", " << s.pauses << " pauses";
    if (!s.long_pauses.empty()) out << " (" << s.long_pauses.size() << " long)";
    if (i < a.speakers.size())
      out << ", " << a.speakers[i].fillers.count << " fillers, " << a.speakers[i].hedges.count
          << " hedges, " << a.speakers[i].questions_asked
          << (a.speakers[i].questions_asked == 1 ? " question" : " questions");
    out << "\n";
  }
  if (!a.summary.strengths.empty() || !a.summary.improvements.empty()) {
    out << "\nSummary\n";
    if (!a.summary.strengths.empty()) {
      out << "  Strengths:\n";
      print_findings(out, a.summary.strengths, "  ");
    }
    if (!a.summary.improvements.empty()) {
      out << "  What would help most:\n";
      print_findings(out, a.summary.improvements, "  ");
    }
  }
  if (!a.questions.empty()) {
    out << "\nQuestions\n";
    for (const auto& q : a.questions) {
      out << "  " << q.id << " " << clock_time(q.start) << " " << label_of(t, q.speaker) << ": \""
          << q.text << "\"\n";
      if (!q.answer) {
        out << "     no answer\n";
        continue;
      }
      const auto& ans = *q.answer;
      out << "     answered by " << label_of(t, ans.speaker) << " in " << clock_time(ans.seconds)
          << ", " << ans.words << " words";
      if (q.behavioural) {
        out << "; STAR:";
        const std::pair<const char*, const std::optional<analysis::Evidence>*> parts[] = {
            {"situation", &ans.star.situation},
            {"task", &ans.star.task},
            {"action", &ans.star.action},
            {"result", &ans.star.result}};
        for (const auto& [name, e] : parts) out << " " << name << (e->has_value() ? " yes" : " no");
      }
      out << "\n";
      print_findings(out, ans.findings, "     ");
    }
  }
  if (a.job_description) {
    out << "\nJob description: " << std::lround(a.job_description->coverage * 100)
        << " % of its key terms covered\n";
    std::string covered, missing;
    for (const auto& term : a.job_description->terms) {
      auto& list = term.covered ? covered : missing;
      list += (list.empty() ? "" : ", ") + term.term;
    }
    if (!covered.empty()) out << "  covered: " << covered << "\n";
    if (!missing.empty()) out << "  missing: " << missing << "\n";
  }
  if (!a.flags.empty()) {
    out << "\nFlags\n";
    print_findings(out, a.flags, "  ");
  }
  out << "\nTranscript\n\n" << transcription::to_text(t);
  return out.str();
}

// A job description from a file, as the API takes it (at most 20,000
// characters).
std::string read_job_description(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the job description " + path);
  std::string text(20'001, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > 20'000)
    throw std::runtime_error("the job description " + path + " is over 20,000 characters");
  return text;
}

// Written whole or not at all: a temporary file beside it, then renamed.
void write_out(const std::string& path, const std::string& report) {
  if (path.empty()) {
    std::cout << report;
    return;
  }
  const auto temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << report;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + path);
  }
  std::filesystem::rename(temporary, path);
}

// "[#######.............]  35 %  1:45 / 5:00" on one line of a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(double total_seconds) : total_(std::max(total_seconds, 1.0)) {}
  void show(double seconds) {
    const int percent = static_cast<int>(std::clamp(seconds / total_, 0.0, 1.0) * 100);
    if (percent == shown_) return;
    shown_ = percent;
    const int filled = percent / 5;
    std::cerr << "\rtranscribing [" << std::string(static_cast<std::size_t>(filled), '#')
              << std::string(static_cast<std::size_t>(20 - filled), '.') << "] " << percent
              << " %  " << clock_time(seconds) << " / " << clock_time(total_) << std::flush;
  }
  void clear() { std::cerr << "\r" << std::string(64, ' ') << "\r" << std::flush; }

 private:
  double total_;
  int shown_ = -1;
};

}  // namespace

int run_analyze(const Settings& s) {
  try {
    const auto job_description = read_job_description(s.analyze_job_description);
    const auto info = media::probe_file(s.analyze_file);
    auto file = media::open_local_file(s.analyze_file);
    SystemClock clock;
    auto engine = open_asr_engine(s.processing, clock);
    asr::TranscribeOptions options;
    options.threads = s.processing.asr_threads * s.processing.transcribe_concurrency;
    const bool terminal = ::isatty(STDERR_FILENO) != 0;
    ProgressBar bar(info.duration_seconds);
    if (terminal) options.on_progress = [&](double seconds) { bar.show(seconds); };
    auto recognised = asr::transcribe(file.read, file.size, *engine, options);
    if (terminal) bar.clear();
    auto transcript = transcription::build_transcript(recognised);
    transcript.engine = engine->name();
    transcript.language = engine->language();
    auto a = analysis::analyse(transcript, job_description, s.analysis);
    if (!s.processing.llm_url.empty()) {
      llm::ChatCompletions model({.url = s.processing.llm_url,
                                  .api_key = s.processing.llm_api_key,
                                  .model = s.processing.llm_model,
                                  .timeout = s.processing.llm_timeout},
                                 clock);
      auto outcome = analysis::add_llm_feedback(a, transcript, job_description, model);
      if (!outcome.used && outcome.requests > 0)
        std::cerr << "interview-companion: the language model's feedback is not used ("
                  << outcome.why << "); the rules' summary stands\n";
    }
    if (s.analyze_format == "json") {
      boost::json::object report{{"transcript", transcription::to_json(transcript)},
                                 {"analysis", analysis::to_json(a)}};
      write_out(s.analyze_out, boost::json::serialize(report) + "\n");
    } else if (s.analyze_format == "html") {
      const auto title = std::filesystem::path(s.analyze_file).filename().string();
      write_out(s.analyze_out, analysis::render_report({title, format_rfc3339(clock.now_ms()),
                                                        transcript, analysis::to_json(a)}));
    } else {
      write_out(s.analyze_out, print_text(transcript, a));
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
