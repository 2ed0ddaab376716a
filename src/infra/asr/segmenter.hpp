#pragma once
// Splits one channel of 16-bit PCM into speech segments: an energy-based
// voice activity detector with hysteresis and a maximum segment length, so
// a recording can be transcribed piece by piece (in parallel, checkpointed)
// and silence is never sent to the recogniser.
//
// Per 30 ms frame: the frame's energy in dBFS against a noise floor that
// follows the quietest recent frames. Speech starts after `start_frames`
// frames `start_margin_db` above the floor, and ends after `hang` below
// `stop_margin_db` above it (the lower exit threshold is the hysteresis).
// A segment longer than `max_segment` is cut at its quietest frame in the
// last `cut_window`. Segments are padded by `padding` on both sides.
// Streaming: feed blocks, collect closed segments; memory is bounded by the
// cut window.
#include <chrono>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace companion::asr {

struct SegmenterSettings {
  int sample_rate = 16000;
  std::chrono::milliseconds frame{30};
  double start_margin_db = 12.0;
  double stop_margin_db = 6.0;
  int start_frames = 3;
  std::chrono::milliseconds hang{400};
  std::chrono::milliseconds max_segment{20'000};
  std::chrono::milliseconds cut_window{3'000};
  std::chrono::milliseconds padding{150};
  double floor_db = -60.0;  // the noise floor never goes below this
};

// A speech segment, in samples from the start of the channel: [begin, end).
struct Segment {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

class Segmenter {
 public:
  explicit Segmenter(SegmenterSettings settings = {});
  // Feeds the next samples; returns the segments that closed.
  std::vector<Segment> push(std::span<const std::int16_t> samples);
  // The end of the channel: closes an open segment.
  std::vector<Segment> finish();

 private:
  void frame_done(double db, std::vector<Segment>& out);
  void close(std::uint64_t end_frame, std::vector<Segment>& out);

  SegmenterSettings s_;
  std::size_t frame_samples_;
  std::size_t hang_frames_;
  std::size_t max_frames_;
  std::size_t cut_frames_;
  std::size_t pad_samples_;
  double sum_sq_ = 0;
  std::size_t in_frame_ = 0;
  std::uint64_t frame_index_ = 0;  // frames completed
  double floor_db_;
  bool floor_known_ = false;
  bool speaking_ = false;
  int loud_run_ = 0;
  std::size_t quiet_run_ = 0;
  std::uint64_t start_frame_ = 0;
  std::deque<double> recent_;   // energies of the open segment's last cut_window frames
  std::uint64_t last_end_ = 0;  // samples: segments never overlap
};

}  // namespace companion::asr
