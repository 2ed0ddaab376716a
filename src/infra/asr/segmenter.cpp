#include "infra/asr/segmenter.hpp"

#include <algorithm>
#include <cmath>

namespace companion::asr {

Segmenter::Segmenter(SegmenterSettings settings)
    : s_(settings),
      frame_samples_(static_cast<std::size_t>(s_.sample_rate * s_.frame.count() / 1000)),
      hang_frames_(static_cast<std::size_t>(s_.hang / s_.frame)),
      max_frames_(static_cast<std::size_t>(s_.max_segment / s_.frame)),
      cut_frames_(static_cast<std::size_t>(s_.cut_window / s_.frame)),
      pad_samples_(static_cast<std::size_t>(s_.sample_rate * s_.padding.count() / 1000)),
      floor_db_(s_.floor_db) {}

std::vector<Segment> Segmenter::push(std::span<const std::int16_t> samples) {
  std::vector<Segment> out;
  for (auto v : samples) {
    sum_sq_ += double(v) * double(v);
    if (++in_frame_ == frame_samples_) {
      double rms = std::sqrt(sum_sq_ / double(frame_samples_));
      double db = 20.0 * std::log10(std::max(rms, 1.0) / 32768.0);
      frame_done(db, out);
      sum_sq_ = 0;
      in_frame_ = 0;
    }
  }
  return out;
}

void Segmenter::frame_done(double db, std::vector<Segment>& out) {
  // The floor drops at once to a quieter frame and rises slowly (about
  // 3 dB a second), so speech never becomes the floor but a noisier room
  // is learned.
  if (!floor_known_ || db < floor_db_) {
    floor_db_ = std::max(db, s_.floor_db);
    floor_known_ = true;
  } else {
    floor_db_ = std::min(floor_db_ + 3.0 * s_.frame.count() / 1000.0, db);
  }
  const auto index = frame_index_++;
  if (!speaking_) {
    if (db > floor_db_ + s_.start_margin_db) {
      if (++loud_run_ >= s_.start_frames) {
        speaking_ = true;
        start_frame_ = index + 1 - static_cast<std::uint64_t>(loud_run_);
        quiet_run_ = 0;
        recent_.clear();
      }
    } else {
      loud_run_ = 0;
    }
    return;
  }
  recent_.push_back(db);
  if (recent_.size() > cut_frames_) recent_.pop_front();
  quiet_run_ = db < floor_db_ + s_.stop_margin_db ? quiet_run_ + 1 : 0;
  if (quiet_run_ >= hang_frames_) {
    close(index + 1 - quiet_run_, out);
    return;
  }
  if (index + 1 - start_frame_ >= max_frames_) {
    // Too long: cut at the quietest recent frame and go on speaking.
    auto quietest = std::min_element(recent_.begin(), recent_.end()) - recent_.begin();
    auto cut = index + 1 - recent_.size() + static_cast<std::uint64_t>(quietest);
    close(cut, out);
    speaking_ = true;
    start_frame_ = cut;
    recent_.clear();
  }
}

void Segmenter::close(std::uint64_t end_frame, std::vector<Segment>& out) {
  speaking_ = false;
  loud_run_ = 0;
  quiet_run_ = 0;
  std::uint64_t begin = start_frame_ * frame_samples_;
  std::uint64_t end = end_frame * frame_samples_;
  begin = begin > pad_samples_ ? begin - pad_samples_ : 0;
  begin = std::max(begin, last_end_);
  end += pad_samples_;
  if (end > begin) {
    out.push_back({begin, end});
    last_end_ = end;
  }
}

std::vector<Segment> Segmenter::finish() {
  std::vector<Segment> out;
  if (speaking_) {
    close(frame_index_, out);
    // The padding must not run past the end of the channel.
    auto total = frame_index_ * frame_samples_ + in_frame_;
    if (!out.empty()) out.back().end = std::min(out.back().end, total);
  }
  return out;
}

}  // namespace companion::asr
