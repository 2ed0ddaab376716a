#include "modules/analysis/report_page.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "infra/text/markup.hpp"

namespace companion::analysis {
namespace {

namespace json = boost::json;

constexpr double kChartWidth = 880;
constexpr double kLeft = 110;  // room for speaker labels
constexpr const char* kPalette[] = {"#2563eb", "#db2777", "#059669",
                                    "#d97706", "#7c3aed", "#0891b2"};

const json::value* field(const json::object& o, std::string_view key) {
  return o.if_contains(key);
}

double number(const json::object& o, std::string_view key, double fallback = 0) {
  const auto* v = field(o, key);
  if (!v) return fallback;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return fallback;
}

std::string text(const json::object& o, std::string_view key) {
  const auto* v = field(o, key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::array& array(const json::object& o, std::string_view key) {
  static const json::array empty;
  const auto* v = field(o, key);
  return v && v->is_array() ? v->get_array() : empty;
}

const json::object* object(const json::object& o, std::string_view key) {
  const auto* v = field(o, key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// m:ss, or h:mm:ss past an hour.
std::string clock(double seconds) {
  auto total = static_cast<long>(std::floor(std::max(0.0, seconds)));
  char buf[32];
  if (total >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", total / 60, total % 60);
  return buf;
}

class Page {
 public:
  Page(const ReportInput& in) : in_(in) {
    const auto& speakers = array(in.analysis, "speakers");
    for (std::size_t i = 0; i < speakers.size(); ++i) {
      if (!speakers[i].is_object()) continue;
      const auto& s = speakers[i].get_object();
      const auto id = text(s, "id");
      const auto* sp = in.transcript.speaker(id);
      labels_[id] = sp ? sp->label : text(s, "label");
      colours_[id] = kPalette[i % std::size(kPalette)];
      order_.push_back(id);
    }
    duration_ = std::max(number(in.analysis, "durationSeconds"), in.transcript.duration);
    for (const auto& seg : in.transcript.segments) duration_ = std::max(duration_, seg.end);
    if (duration_ <= 0) duration_ = 1;
  }

  std::string render() {
    head();
    summary();
    speakers_table();
    timeline();
    pace_chart();
    fillers_chart();
    questions();
    job_description();
    flags();
    out_ += "<footer>Interview Companion · analysis version " +
            fixed(number(in_.analysis, "version"), 0) + "</footer>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  std::string label(const std::string& id) {
    auto it = labels_.find(id);
    return html_escape(it == labels_.end() ? id : it->second);
  }
  std::string colour(const std::string& id) {
    auto it = colours_.find(id);
    return it == colours_.end() ? "#6b7280" : it->second;
  }
  double x(double seconds) const {
    return kLeft + std::clamp(seconds / duration_, 0.0, 1.0) * (kChartWidth - kLeft - 10);
  }

  // A quote with its time and speaker.
  std::string evidence(const json::value& v) {
    if (!v.is_object()) return {};
    const auto& e = v.get_object();
    return "<blockquote><span class=\"when\">" + clock(number(e, "start")) + "–" +
           clock(number(e, "end")) + " · " + label(text(e, "speaker")) + "</span> “" +
           html_escape(text(e, "quote")) + "”</blockquote>";
  }

  void findings(const json::array& list) {
    if (list.empty()) return;
    out_ += "<ul class=\"findings\">";
    for (const auto& f : list) {
      if (!f.is_object()) continue;
      const auto& o = f.get_object();
      out_ += "<li><span class=\"kind\">" + html_escape(text(o, "kind")) + "</span> " +
              html_escape(text(o, "text"));
      for (const auto& e : array(o, "evidence")) out_ += evidence(e);
      out_ += "</li>";
    }
    out_ += "</ul>\n";
  }

  void head() {
    out_ +=
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
        html_escape(in_.title) +
        " · Interview report</title>\n<style>\n"
        "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;max-width:920px;"
        "margin:2rem auto;padding:0 1rem;color:#111827;background:#fff}\n"
        "h1{font-size:1.6rem;margin:0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px "
        "solid #e5e7eb}\n.meta{color:#6b7280}.kind{font:12px monospace;background:#f3f4f6;"
        "padding:1px 4px;border-radius:3px}\nblockquote{margin:.3rem 0 .3rem 1rem;padding-left:"
        ".6rem;border-left:3px solid #d1d5db;color:#374151}.when{color:#6b7280;font-size:13px}\n"
        "table{border-collapse:collapse}td,th{padding:3px 10px;text-align:right}td:first-child,"
        "th:first-child{text-align:left}\n.ok{color:#059669}.missing{color:#b91c1c}"
        ".question{margin:1rem 0;padding:.5rem 1rem;background:#f9fafb;border-radius:6px}\n"
        "svg text{font:12px system-ui,sans-serif;fill:#374151}footer{margin:3rem 0 1rem;"
        "color:#9ca3af;font-size:13px}\n</style>\n</head>\n<body>\n<h1>" +
        html_escape(in_.title) + "</h1>\n<p class=\"meta\">Recording " + clock(duration_) +
        ", speech " + clock(number(in_.analysis, "talkSeconds")) + " · analysed " +
        html_escape(in_.created_at) + "</p>\n";
    if (const auto* roles = object(in_.analysis, "roles")) {
      const auto interviewer = text(*roles, "interviewer");
      const auto candidate = text(*roles, "candidate");
      out_ += "<p class=\"meta\">";
      if (!interviewer.empty()) out_ += "Interviewer: " + label(interviewer) + ". ";
      if (!candidate.empty()) out_ += "Candidate: " + label(candidate) + ".";
      out_ += "</p>\n";
    }
  }

  void summary() {
    const auto* s = object(in_.analysis, "summary");
    if (!s) return;
    out_ += "<h2>Summary</h2>\n";
    if (array(*s, "strengths").empty() && array(*s, "improvements").empty())
      out_ +=
          "<p class=\"meta\">Too little talk to judge yet: the summary needs a minute of "
          "answers or more.</p>\n";
    if (!array(*s, "strengths").empty()) {
      out_ += "<h3>Strengths</h3>\n";
      findings(array(*s, "strengths"));
    }
    if (!array(*s, "improvements").empty()) {
      out_ += "<h3>What would help most</h3>\n";
      findings(array(*s, "improvements"));
    }
  }

  void speakers_table() {
    out_ +=
        "<h2>Speakers</h2>\n<table>\n<tr><th>Speaker</th><th>Talk</th><th>Share</th><th>Words a "
        "minute</th><th>Fillers a minute</th><th>Hedges a minute</th><th>Longest "
        "turn</th></tr>\n";
    for (const auto& v : array(in_.analysis, "speakers")) {
      if (!v.is_object()) continue;
      const auto& s = v.get_object();
      auto per_minute = [&](std::string_view key) {
        const auto* o = object(s, key);
        return o ? fixed(number(*o, "perMinute"), 1) : std::string("–");
      };
      out_ += "<tr><td><span style=\"color:" + colour(text(s, "id")) + "\">■</span> " +
              label(text(s, "id")) + "</td><td>" + clock(number(s, "talkSeconds")) + "</td><td>" +
              fixed(number(s, "talkRatio") * 100, 0) + " %</td><td>" +
              fixed(number(s, "wordsPerMinute"), 0) + "</td><td>" + per_minute("fillers") +
              "</td><td>" + per_minute("hedges") + "</td><td>" +
              clock(number(s, "longestMonologueSeconds")) + "</td></tr>\n";
    }
    out_ += "</table>\n";
  }

  // The time axis under a chart, every minute or every ten.
  void axis(double y) {
    const double step = duration_ > 1200 ? 600 : duration_ > 300 ? 60 : 30;
    for (double t = 0; t <= duration_ + 1e-9; t += step)
      out_ += "<text x=\"" + fixed(x(t), 1) + "\" y=\"" + fixed(y, 0) +
              "\" text-anchor=\"middle\">" + clock(t) + "</text>";
  }

  void timeline() {
    const double row = 26;
    const double height = row * static_cast<double>(order_.size()) + 30;
    out_ +=
        "<h2>Who talks when</h2>\n<svg role=\"img\" aria-label=\"Talk time along the "
        "recording, one row a speaker\" width=\"" +
        fixed(kChartWidth, 0) + "\" height=\"" + fixed(height, 0) + "\" viewBox=\"0 0 " +
        fixed(kChartWidth, 0) + " " + fixed(height, 0) + "\">";
    std::map<std::string, std::size_t> rows;
    for (std::size_t i = 0; i < order_.size(); ++i) {
      rows[order_[i]] = i;
      out_ += "<text x=\"0\" y=\"" + fixed(row * static_cast<double>(i) + 17, 0) + "\">" +
              label(order_[i]) + "</text>";
    }
    for (const auto& seg : in_.transcript.segments) {
      auto it = rows.find(seg.speaker);
      if (it == rows.end()) continue;
      const double left = x(seg.start);
      const double width = std::max(0.5, x(seg.end) - left);
      out_ += "<rect x=\"" + fixed(left, 1) + "\" y=\"" +
              fixed(row * static_cast<double>(it->second) + 4, 0) + "\" width=\"" +
              fixed(width, 1) + "\" height=\"18\" fill=\"" + colour(seg.speaker) + "\"/>";
    }
    axis(height - 4);
    out_ += "</svg>\n";
  }

  void pace_chart() {
    const double height = 170, top = 10, bottom = 140;
    double highest = 60;
    for (const auto& v : array(in_.analysis, "speakers"))
      if (v.is_object())
        for (const auto& w : array(v.get_object(), "wordsPerMinuteOverTime"))
          if (w.is_object()) highest = std::max(highest, number(w.get_object(), "wordsPerMinute"));
    highest = std::ceil(highest / 50) * 50;
    out_ +=
        "<h2>Words a minute over time</h2>\n<svg role=\"img\" aria-label=\"Words a minute "
        "in 30 second windows, one line a speaker\" width=\"" +
        fixed(kChartWidth, 0) + "\" height=\"" + fixed(height, 0) + "\" viewBox=\"0 0 " +
        fixed(kChartWidth, 0) + " " + fixed(height, 0) + "\">";
    for (double level = 0; level <= highest; level += highest / 2) {
      const double y = bottom - level / highest * (bottom - top);
      out_ += "<line x1=\"" + fixed(kLeft, 0) + "\" x2=\"" + fixed(kChartWidth - 10, 0) +
              "\" y1=\"" + fixed(y, 1) + "\" y2=\"" + fixed(y, 1) +
              "\" stroke=\"#e5e7eb\"/><text x=\"" + fixed(kLeft - 8, 0) + "\" y=\"" +
              fixed(y + 4, 1) + "\" text-anchor=\"end\">" + fixed(level, 0) + "</text>";
    }
    for (const auto& v : array(in_.analysis, "speakers")) {
      if (!v.is_object()) continue;
      const auto& s = v.get_object();
      std::string points, dots;
      for (const auto& w : array(s, "wordsPerMinuteOverTime")) {
        if (!w.is_object()) continue;
        const auto& o = w.get_object();
        const double mid = (number(o, "start") + number(o, "end")) / 2;
        const double y = bottom - number(o, "wordsPerMinute") / highest * (bottom - top);
        points += fixed(x(mid), 1) + "," + fixed(y, 1) + " ";
        // A dot a window: a recording of one window has no line.
        dots += "<circle cx=\"" + fixed(x(mid), 1) + "\" cy=\"" + fixed(y, 1) + "\" r=\"2.5\"/>";
      }
      if (!points.empty())
        out_ += "<g fill=\"" + colour(text(s, "id")) +
                "\"><polyline fill=\"none\" "
                "stroke-width=\"2\" stroke=\"" +
                colour(text(s, "id")) + "\" points=\"" + points + "\"/>" + dots + "</g>";
    }
    axis(height - 6);
    out_ += "</svg>\n";
  }

  void fillers_chart() {
    // Fillers in each minute of the recording, a bar a speaker.
    const auto minutes = static_cast<std::size_t>(std::ceil(duration_ / 60));
    std::vector<std::pair<std::string, std::vector<int>>> counts;
    int highest = 1;
    bool any = false;
    for (const auto& v : array(in_.analysis, "speakers")) {
      if (!v.is_object()) continue;
      const auto* fillers = object(v.get_object(), "fillers");
      if (!fillers) continue;
      std::vector<int> per(minutes, 0);
      for (const auto& item : array(*fillers, "items")) {
        if (!item.is_object()) continue;
        auto m = static_cast<std::size_t>(number(item.get_object(), "start") / 60);
        if (m < minutes) highest = std::max(highest, ++per[m]);
        any = true;
      }
      counts.emplace_back(text(v.get_object(), "id"), std::move(per));
    }
    if (counts.empty()) return;
    out_ += "<h2>Fillers a minute</h2>\n";
    if (!any) {
      out_ += "<p>No filler words.</p>\n";
      return;
    }
    const double height = 130, bottom = 100;
    out_ +=
        "<svg role=\"img\" aria-label=\"Filler words in each minute, a bar a speaker\" "
        "width=\"" +
        fixed(kChartWidth, 0) + "\" height=\"" + fixed(height, 0) + "\" viewBox=\"0 0 " +
        fixed(kChartWidth, 0) + " " + fixed(height, 0) + "\">";
    out_ += "<text x=\"" + fixed(kLeft - 8, 0) + "\" y=\"14\" text-anchor=\"end\">" +
            std::to_string(highest) + "</text>";
    const double slot = (x(60) - x(0)) / static_cast<double>(counts.size());
    for (std::size_t k = 0; k < counts.size(); ++k) {
      for (std::size_t m = 0; m < minutes; ++m) {
        if (counts[k].second[m] == 0) continue;
        const double h = counts[k].second[m] * (bottom - 10) / highest;
        out_ += "<rect x=\"" + fixed(x(static_cast<double>(m) * 60) + slot * k, 1) + "\" y=\"" +
                fixed(bottom - h, 1) + "\" width=\"" + fixed(std::max(1.0, slot - 1), 1) +
                "\" height=\"" + fixed(h, 1) + "\" fill=\"" + colour(counts[k].first) + "\"/>";
      }
    }
    axis(height - 6);
    out_ += "</svg>\n";
  }

  void questions() {
    const auto& list = array(in_.analysis, "questions");
    if (list.empty()) return;
    // The map: each question a mark, each answer a bar, green when the
    // story is whole.
    const double height = 70;
    out_ +=
        "<h2>Questions and answers</h2>\n<svg role=\"img\" aria-label=\"Questions (marks) "
        "and answers (bars) along the recording\" width=\"" +
        fixed(kChartWidth, 0) + "\" height=\"" + fixed(height, 0) + "\" viewBox=\"0 0 " +
        fixed(kChartWidth, 0) + " " + fixed(height, 0) + "\">";
    out_ += "<text x=\"0\" y=\"16\">Questions</text><text x=\"0\" y=\"42\">Answers</text>";
    for (const auto& v : list) {
      if (!v.is_object()) continue;
      const auto& q = v.get_object();
      const double at = x(number(q, "start"));
      out_ += "<path d=\"M" + fixed(at, 1) + " 6 l5 10 h-10 z\" fill=\"" +
              colour(text(q, "speaker")) + "\"><title>" + html_escape(text(q, "id")) + ": " +
              html_escape(text(q, "text")) + "</title></path>";
      if (const auto* a = object(q, "answer")) {
        const bool whole = array(*a, "missing").empty();
        const double left = x(number(*a, "start"));
        out_ += "<rect x=\"" + fixed(left, 1) + "\" y=\"30\" width=\"" +
                fixed(std::max(1.0, x(number(*a, "end")) - left), 1) + "\" height=\"16\" fill=\"" +
                (whole ? "#10b981" : "#f59e0b") + "\"/>";
      }
    }
    axis(height - 6);
    out_ += "</svg>\n";
    for (const auto& v : list) {
      if (!v.is_object()) continue;
      const auto& q = v.get_object();
      out_ += "<div class=\"question\"><p><strong>" + html_escape(text(q, "id")) + " · " +
              clock(number(q, "start")) + " · " + label(text(q, "speaker")) + "</strong>: “" +
              html_escape(text(q, "text")) + "”</p>";
      const auto* a = object(q, "answer");
      if (!a) {
        out_ += "<p class=\"meta\">No answer.</p></div>\n";
        continue;
      }
      out_ += "<p class=\"meta\">Answered by " + label(text(*a, "speaker")) + " after " +
              fixed(number(*a, "responseDelaySeconds"), 1) + " s: " + clock(number(*a, "seconds")) +
              ", " + fixed(number(*a, "words"), 0) + " words.</p>";
      const auto* star = object(*a, "star");
      const auto* behavioural = field(q, "behavioural");
      if (star && behavioural && behavioural->is_bool() && behavioural->get_bool()) {
        out_ += "<ul>";
        for (const char* part : {"situation", "task", "action", "result"}) {
          const auto* e = field(*star, part);
          if (e && e->is_object())
            out_ += std::string("<li><span class=\"ok\">✓ ") + part + "</span>" + evidence(*e) +
                    "</li>";
          else
            out_ += std::string("<li><span class=\"missing\">✗ ") + part + " missing</span></li>";
        }
        out_ += "</ul>";
      }
      findings(array(*a, "findings"));
      out_ += "</div>\n";
    }
  }

  void job_description() {
    const auto* jd = object(in_.analysis, "jobDescription");
    if (!jd) return;
    out_ +=
        "<h2>The job description</h2>\n<p>Coverage: " + fixed(number(*jd, "coverage") * 100, 0) +
        " % of its weighted key terms.</p>\n<ul>";
    for (const auto& v : array(*jd, "terms")) {
      if (!v.is_object()) continue;
      const auto& t = v.get_object();
      const auto* covered = field(t, "covered");
      const bool yes = covered && covered->is_bool() && covered->get_bool();
      out_ += std::string("<li><span class=\"") + (yes ? "ok\">✓" : "missing\">✗") + " " +
              html_escape(text(t, "term")) + "</span> <span class=\"meta\">weight " +
              fixed(number(t, "weight"), 2) + "</span>";
      const auto& ev = array(t, "evidence");
      if (!ev.empty()) out_ += evidence(ev.front());
      out_ += "</li>";
    }
    out_ += "</ul>\n";
  }

  void flags() {
    const auto& list = array(in_.analysis, "flags");
    if (list.empty()) return;
    out_ += "<h2>Flags</h2>\n";
    findings(list);
  }

  const ReportInput& in_;
  std::map<std::string, std::string> labels_;
  std::map<std::string, std::string> colours_;
  std::vector<std::string> order_;
  double duration_ = 1;
  std::string out_;
};

}  // namespace

std::string html_escape(std::string_view text) {
  return text::escape_markup(text);
}

std::string render_report(const ReportInput& input) {
  return Page(input).render();
}

}  // namespace companion::analysis
