#include "infra/asr/diarization.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <numeric>

namespace companion::asr {
namespace {

constexpr int kRate = 16000;
constexpr std::size_t kFrame = 400;  // 25 ms
constexpr std::size_t kHop = 160;    // 10 ms
constexpr std::size_t kFft = 512;
constexpr std::size_t kMel = 26;
constexpr std::size_t kCeps = 12;

// In-place radix-2 FFT.
void fft(std::vector<std::complex<double>>& a) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const double angle = -2 * M_PI / double(len);
    const std::complex<double> w(std::cos(angle), std::sin(angle));
    for (std::size_t i = 0; i < n; i += len) {
      std::complex<double> wk(1);
      for (std::size_t k = 0; k < len / 2; ++k) {
        auto u = a[i + k], v = a[i + k + len / 2] * wk;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        wk *= w;
      }
    }
  }
}

double mel(double hz) {
  return 2595.0 * std::log10(1.0 + hz / 700.0);
}
double hz(double m) {
  return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0);
}

// Triangular mel filters over the FFT bins, 100..6000 Hz.
const std::vector<std::vector<double>>& filterbank() {
  static const auto bank = [] {
    std::vector<std::vector<double>> f(kMel, std::vector<double>(kFft / 2 + 1, 0.0));
    const double lo = mel(100), hi = mel(6000);
    std::vector<double> edges(kMel + 2);
    for (std::size_t i = 0; i < edges.size(); ++i)
      edges[i] = hz(lo + (hi - lo) * double(i) / double(kMel + 1)) * kFft / kRate;
    for (std::size_t m = 0; m < kMel; ++m)
      for (std::size_t b = 0; b <= kFft / 2; ++b) {
        double x = double(b);
        if (x > edges[m] && x <= edges[m + 1])
          f[m][b] = (x - edges[m]) / (edges[m + 1] - edges[m]);
        else if (x > edges[m + 1] && x < edges[m + 2])
          f[m][b] = (edges[m + 2] - x) / (edges[m + 2] - edges[m + 1]);
      }
    return f;
  }();
  return bank;
}

// Pitch of a 40 ms window by normalised autocorrelation, 70..400 Hz; 0 when
// the window is not clearly periodic.
double pitch(std::span<const std::int16_t> w) {
  const std::size_t min_lag = kRate / 400, max_lag = kRate / 70;
  if (w.size() < max_lag * 2) return 0;
  double best = 0;
  std::size_t best_lag = 0;
  for (std::size_t lag = min_lag; lag <= max_lag; ++lag) {
    double xy = 0, xx = 0, yy = 0;
    for (std::size_t i = 0; i + lag < w.size(); ++i) {
      double x = w[i], y = w[i + lag];
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    double r = xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : 0;
    if (r > best) {
      best = r;
      best_lag = lag;
    }
  }
  return best > 0.6 ? double(kRate) / double(best_lag) : 0;
}

}  // namespace

std::vector<float> voiceprint(std::span<const std::int16_t> pcm) {
  if (pcm.size() < kFrame) return {};
  const auto& bank = filterbank();
  std::vector<double> window(kFrame);
  for (std::size_t i = 0; i < kFrame; ++i)
    window[i] = 0.54 - 0.46 * std::cos(2 * M_PI * double(i) / double(kFrame - 1));

  std::vector<std::array<double, kCeps>> ceps;
  std::vector<double> energy;
  std::vector<std::complex<double>> buf(kFft);
  for (std::size_t start = 0; start + kFrame <= pcm.size(); start += kHop) {
    std::fill(buf.begin(), buf.end(), 0.0);
    double e = 0;
    for (std::size_t i = 0; i < kFrame; ++i) {
      double prev = start + i > 0 ? pcm[start + i - 1] : 0;
      double x = (pcm[start + i] - 0.97 * prev) * window[i];
      buf[i] = x;
      e += double(pcm[start + i]) * pcm[start + i];
    }
    fft(buf);
    std::array<double, kMel> logmel{};
    for (std::size_t m = 0; m < kMel; ++m) {
      double s = 0;
      for (std::size_t b = 0; b <= kFft / 2; ++b) s += bank[m][b] * std::norm(buf[b]);
      logmel[m] = std::log(s + 1e-6);
    }
    std::array<double, kCeps> c{};
    for (std::size_t k = 1; k <= kCeps; ++k) {
      double s = 0;
      for (std::size_t m = 0; m < kMel; ++m)
        s += logmel[m] * std::cos(M_PI * double(k) * (double(m) + 0.5) / double(kMel));
      c[k - 1] = s;
    }
    ceps.push_back(c);
    energy.push_back(10 * std::log10(e / kFrame + 1e-9));
  }
  // Voiced frames: within 25 dB of the segment's loudest.
  const double loudest = *std::max_element(energy.begin(), energy.end());
  std::vector<double> mean(kCeps, 0.0);
  std::vector<double> pitches;
  std::size_t kept = 0;
  for (std::size_t f = 0; f < ceps.size(); ++f) {
    if (energy[f] < loudest - 25) continue;
    ++kept;
    for (std::size_t k = 0; k < kCeps; ++k) mean[k] += ceps[f][k];
    const std::size_t at = f * kHop;
    if (f % 2 == 0 && at + 640 <= pcm.size())  // every 20 ms is plenty
      if (double p = pitch(pcm.subspan(at, 640)); p > 0) pitches.push_back(p);
  }
  if (kept == 0) return {};
  std::vector<float> out;
  for (auto m : mean) out.push_back(static_cast<float>(m / double(kept)));
  double f0 = 0;
  if (!pitches.empty()) {
    std::nth_element(pitches.begin(), pitches.begin() + pitches.size() / 2, pitches.end());
    f0 = pitches[pitches.size() / 2];
  }
  out.push_back(f0 > 0 ? static_cast<float>(std::log2(f0)) : 0.0f);
  return out;
}

std::vector<int> diarize(const std::vector<std::vector<float>>& prints,
                         const std::vector<double>& durations, const DiarizationSettings& s) {
  const std::size_t n = prints.size();
  std::vector<int> labels(n, 0);
  std::vector<std::size_t> usable;
  for (std::size_t i = 0; i < n; ++i)
    if (prints[i].size() == kVoiceprintSize) usable.push_back(i);
  if (usable.size() < 2) return labels;

  // Standardise each dimension (weighted by duration), pitch weighted up.
  const std::size_t d = kVoiceprintSize;
  std::vector<std::vector<double>> x(n, std::vector<double>(d, 0.0));
  double total = 0;
  for (auto i : usable) total += std::max(durations[i], 1e-3);
  for (std::size_t k = 0; k < d; ++k) {
    double mean = 0, var = 0;
    for (auto i : usable) mean += prints[i][k] * std::max(durations[i], 1e-3);
    mean /= total;
    for (auto i : usable) var += std::pow(prints[i][k] - mean, 2) * std::max(durations[i], 1e-3);
    double sd = std::sqrt(var / total);
    double weight = k == d - 1 ? s.pitch_weight : 1.0;
    for (auto i : usable) x[i][k] = sd > 1e-9 ? weight * (prints[i][k] - mean) / sd : 0.0;
  }
  auto dist2 = [&](const std::vector<double>& a, const std::vector<double>& b) {
    double s2 = 0;
    for (std::size_t k = 0; k < d; ++k) s2 += (a[k] - b[k]) * (a[k] - b[k]);
    return s2;
  };
  // Deterministic start: the longest segment, and the one farthest from it.
  auto first = *std::max_element(usable.begin(), usable.end(),
                                 [&](auto a, auto b) { return durations[a] < durations[b]; });
  auto second = *std::max_element(usable.begin(), usable.end(), [&](auto a, auto b) {
    return dist2(x[a], x[first]) < dist2(x[b], x[first]);
  });
  std::vector<std::vector<double>> centre{x[first], x[second]};
  std::vector<int> assign(n, 0);
  for (int iteration = 0; iteration < 100; ++iteration) {
    bool changed = false;
    for (auto i : usable) {
      int c = dist2(x[i], centre[1]) < dist2(x[i], centre[0]) ? 1 : 0;
      if (c != assign[i] || iteration == 0) changed |= c != assign[i];
      assign[i] = c;
    }
    for (int c = 0; c < 2; ++c) {
      std::vector<double> sum(d, 0.0);
      double w = 0;
      for (auto i : usable)
        if (assign[i] == c) {
          for (std::size_t k = 0; k < d; ++k) sum[k] += x[i][k] * durations[i];
          w += durations[i];
        }
      if (w > 0)
        for (std::size_t k = 0; k < d; ++k) centre[c][k] = sum[k] / w;
    }
    if (!changed && iteration > 0) break;
  }
  // Two voices only if splitting explains most of the spread (one voice's
  // segments, split in two anyway, keep over 90 % of it) and both hold
  // real speech.
  double within = 0, spread = 0, share[2] = {0, 0};
  for (auto i : usable) {
    within += dist2(x[i], centre[assign[i]]) * durations[i];
    spread += dist2(x[i], std::vector<double>(d, 0.0)) * durations[i];  // the mean is 0
    share[assign[i]] += durations[i];
  }
  // And the voices must differ in pitch: one speaker's segments differ by
  // less than a semitone or so, two people's by several (measured:
  // docs/benchmarks.md), which keeps a monologue from being split.
  double pitch[2] = {0, 0}, voiced[2] = {0, 0};
  for (auto i : usable)
    if (prints[i].back() > 0) {
      pitch[assign[i]] += prints[i].back() * durations[i];
      voiced[assign[i]] += durations[i];
    }
  const double pitch_gap =
      voiced[0] > 0 && voiced[1] > 0 ? std::abs(pitch[0] / voiced[0] - pitch[1] / voiced[1]) : 0.0;
  if (usable.size() < s.min_segments || spread <= 0 || within / spread > s.max_within_share ||
      pitch_gap < s.min_pitch_gap || share[0] / total < s.min_share ||
      share[1] / total < s.min_share)
    return labels;
  // Label 0 is whoever is heard first.
  const int first_heard = assign[usable.front()];
  for (auto i : usable) labels[i] = assign[i] == first_heard ? 0 : 1;
  // A segment without a voiceprint (too short) joins the previous speaker.
  for (std::size_t i = 1; i < n; ++i)
    if (prints[i].size() != kVoiceprintSize) labels[i] = labels[i - 1];
  return labels;
}

}  // namespace companion::asr
