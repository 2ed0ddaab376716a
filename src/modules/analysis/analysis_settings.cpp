// The operator's analysis settings file (--analysis-settings): every key
// optional, every value checked, unknown keys refused, so a typo is an
// error at start and not a setting silently ignored.
#include <boost/json.hpp>

#include <stdexcept>

#include "modules/analysis/engine.hpp"

namespace companion::analysis {
namespace {

constexpr std::size_t kMaxPhrases = 200;
constexpr std::size_t kMaxPhrase = 40;

[[noreturn]] void refuse(std::string_view key, std::string_view why) {
  throw std::invalid_argument("\"" + std::string(key) + "\" " + std::string(why));
}

double seconds(const boost::json::value& v, std::string_view key, double low, double high) {
  if (!v.is_number()) refuse(key, "must be a number of seconds");
  const double n = v.to_number<double>();
  if (!(n >= low && n <= high))
    refuse(key, "must be from " + std::to_string(static_cast<long>(low)) + " to " +
                    std::to_string(static_cast<long>(high)) + " seconds");
  return n;
}

std::vector<std::string> phrases(const boost::json::value& v, std::string_view key) {
  if (!v.is_array() || v.as_array().empty() || v.as_array().size() > kMaxPhrases)
    refuse(key, "must be a list of 1 to 200 phrases");
  std::vector<std::string> out;
  for (const auto& p : v.as_array()) {
    if (!p.is_string() || p.as_string().empty() || p.as_string().size() > kMaxPhrase)
      refuse(key, "must hold phrases of 1 to 40 characters");
    out.emplace_back(p.as_string());
  }
  return out;
}

std::pair<double, double> range(const boost::json::value& v, std::string_view key) {
  if (!v.is_object()) refuse(key, "must be {\"min\": seconds, \"max\": seconds}");
  const auto& o = v.as_object();
  for (const auto& [k, _] : o)
    if (k != "min" && k != "max") refuse(key, "takes only \"min\" and \"max\"");
  if (!o.contains("min") || !o.contains("max")) refuse(key, "needs \"min\" and \"max\"");
  auto low = seconds(o.at("min"), key, 0, 3600);
  auto high = seconds(o.at("max"), key, 1, 3600);
  if (low >= high) refuse(key, "needs \"min\" below \"max\"");
  return {low, high};
}

}  // namespace

AnalysisSettings parse_analysis_settings(std::string_view text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec) throw std::invalid_argument("not JSON: " + ec.message());
  if (!v.is_object()) throw std::invalid_argument("must be a JSON object");
  AnalysisSettings s;
  for (const auto& [key, value] : v.as_object()) {
    if (key == "fillers") {
      s.fillers = phrases(value, key);
    } else if (key == "hedges") {
      s.hedges = phrases(value, key);
    } else if (key == "answerSeconds") {
      std::tie(s.answer_min_seconds, s.answer_max_seconds) = range(value, key);
    } else if (key == "storySeconds") {
      std::tie(s.behavioural_min_seconds, s.behavioural_max_seconds) = range(value, key);
    } else if (key == "longResponseDelaySeconds") {
      s.long_response_delay = seconds(value, key, 1, 600);
    } else if (key == "longMonologueSeconds") {
      s.long_monologue = seconds(value, key, 10, 7200);
    } else if (key == "pauseSeconds") {
      s.delivery.pause = seconds(value, key, 0.1, 60);
    } else if (key == "longPauseSeconds") {
      s.delivery.long_pause = seconds(value, key, 0.1, 600);
    } else if (key == "jobTerms") {
      if (!value.is_int64() || value.as_int64() < 1 || value.as_int64() > 100)
        refuse(key, "must be a whole number from 1 to 100");
      s.job_terms = static_cast<std::size_t>(value.as_int64());
    } else {
      throw std::invalid_argument("unknown setting \"" + std::string(key) + "\"");
    }
  }
  if (s.delivery.long_pause < s.delivery.pause)
    throw std::invalid_argument("\"longPauseSeconds\" must not be below \"pauseSeconds\"");
  return s;
}

}  // namespace companion::analysis
