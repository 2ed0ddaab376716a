#include "modules/analysis/delivery.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

namespace companion::analysis {
namespace {

double ms(double seconds) {
  return std::round(seconds * 1000.0) / 1000.0;
}

}  // namespace

Delivery measure_delivery(const transcription::Transcript& t, const DeliverySettings& s) {
  Delivery d;
  d.duration_seconds = t.duration;
  std::map<std::string, std::size_t> index;
  for (const auto& sp : t.speakers) {
    index[sp.id] = d.speakers.size();
    d.speakers.push_back({.id = sp.id, .label = sp.label});
  }
  auto of = [&](const std::string& id) -> SpeakerDelivery& {
    auto it = index.find(id);
    if (it == index.end()) {
      it = index.emplace(id, d.speakers.size()).first;
      d.speakers.push_back({.id = id, .label = id});
    }
    return d.speakers[it->second];
  };

  std::vector<const transcription::Segment*> order;
  for (const auto& seg : t.segments)
    if (!seg.words.empty()) order.push_back(&seg);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->start < b->start; });

  // Turns: consecutive segments of one speaker.
  std::size_t k = 0;
  while (k < order.size()) {
    const auto& speaker = order[k]->speaker;
    auto& sd = of(speaker);
    double turn_start = order[k]->words.front().start;
    double turn_end = turn_start;
    const transcription::Word* previous = nullptr;
    for (; k < order.size() && order[k]->speaker == speaker; ++k) {
      const auto& seg = *order[k];
      sd.talk_seconds += std::max(0.0, seg.words.back().end - seg.words.front().start);
      sd.words += seg.words.size();
      for (const auto& w : seg.words) {
        if (previous) {
          double gap = w.start - previous->end;
          if (gap >= s.pause) {
            ++sd.pauses;
            if (gap >= s.long_pause) sd.long_pauses.push_back({ms(previous->end), ms(w.start)});
          }
        }
        previous = &w;
      }
      turn_end = std::max(turn_end, seg.words.back().end);
    }
    sd.longest_monologue_seconds = std::max(sd.longest_monologue_seconds, turn_end - turn_start);
  }

  for (const auto& sd : d.speakers) d.talk_seconds += sd.talk_seconds;
  for (auto& sd : d.speakers) {
    sd.talk_ratio = d.talk_seconds > 0 ? sd.talk_seconds / d.talk_seconds : 0;
    sd.words_per_minute = sd.talk_seconds > 0 ? double(sd.words) * 60.0 / sd.talk_seconds : 0;
  }
  return d;
}

boost::json::object to_json(const Delivery& d) {
  boost::json::array speakers;
  for (const auto& sd : d.speakers) {
    boost::json::array long_pauses;
    for (const auto& p : sd.long_pauses)
      long_pauses.push_back(boost::json::object{{"start", p.start}, {"end", p.end}});
    speakers.push_back(boost::json::object{
        {"id", sd.id},
        {"label", sd.label},
        {"talkSeconds", ms(sd.talk_seconds)},
        {"talkRatio", std::round(sd.talk_ratio * 1000.0) / 1000.0},
        {"words", sd.words},
        {"wordsPerMinute", std::round(sd.words_per_minute * 10.0) / 10.0},
        {"longestMonologueSeconds", ms(sd.longest_monologue_seconds)},
        {"pauses", boost::json::object{{"count", sd.pauses}, {"long", std::move(long_pauses)}}}});
  }
  return boost::json::object{{"version", kAnalysisVersion},
                             {"durationSeconds", ms(d.duration_seconds)},
                             {"talkSeconds", ms(d.talk_seconds)},
                             {"speakers", std::move(speakers)}};
}

}  // namespace companion::analysis
