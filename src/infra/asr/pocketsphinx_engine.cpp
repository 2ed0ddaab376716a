#include "infra/asr/pocketsphinx_engine.hpp"

#include <pocketsphinx.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace companion::asr {
namespace {

constexpr double kFramesPerSecond = 100.0;  // pocketsphinx's default frame rate

// Fillers and markers that are not words said.
bool is_word(const std::string& w) {
  return !w.empty() && w != "<s>" && w != "</s>" && w != "<sil>" && w.front() != '[' &&
         w.front() != '+';
}

// Stretches of digital silence (exact zeros: synthesised speech, or a
// browser's noise suppression) have no energy, and their log-spectra sink
// to the floor and drag the utterance's cepstral mean away from speech
// (measured on 158 words: espeak-ng's voices' WER 0.76 -> 0.46, 0.61 ->
// 0.35, flite's within a word or two; docs/benchmarks.md). Dither of at
// most two steps (-78 dBFS, inaudible), from a generator seeded the same
// way for every segment, so a segment's words do not depend on what was
// recognised before it.
std::vector<std::int16_t> dithered(std::span<const std::int16_t> pcm) {
  std::vector<std::int16_t> out(pcm.begin(), pcm.end());
  std::uint32_t state = 0x2545F491u;
  auto next_bit = [&state] {
    state = state * 1664525u + 1013904223u;  // Numerical Recipes' LCG
    return static_cast<int>(state >> 31);
  };
  for (auto& v : out)
    for (int round = 0; round < 2; ++round)
      v = static_cast<std::int16_t>(std::clamp(v + next_bit() - next_bit(), -32768, 32767));
  return out;
}

class PocketsphinxRecognizer final : public Recognizer {
 public:
  explicit PocketsphinxRecognizer(const PocketsphinxSettings& s) {
    const auto dir = s.model_dir;
    config_ = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", (dir + "/en-us").c_str(), "-lm",
                          (dir + "/en-us.lm.bin").c_str(), "-dict",
                          (dir + "/cmudict-en-us.dict").c_str(), "-logfn", "/dev/null",
                          // Our segmenter already cut out the silence; the
                          // front end's own noise tracking and silence
                          // removal carry state from one utterance to the
                          // next, which would make a segment's words depend
                          // on what was decoded before it.
                          "-remove_noise", "no", "-remove_silence", "no", nullptr);
    if (!config_) throw std::runtime_error("pocketsphinx: bad configuration");
    decoder_ = ps_init(config_);
    if (!decoder_) {
      cmd_ln_free_r(config_);
      throw std::runtime_error("pocketsphinx: cannot load the models in " + dir);
    }
  }
  ~PocketsphinxRecognizer() override {
    ps_free(decoder_);
    cmd_ln_free_r(config_);
  }

  Recognition recognize(std::span<const std::int16_t> pcm) override {
    Recognition r;
    if (pcm.empty()) return r;
    if (ps_start_utt(decoder_) < 0) throw std::runtime_error("pocketsphinx: cannot start");
    const auto samples = dithered(pcm);
    if (ps_process_raw(decoder_, samples.data(), samples.size(), FALSE, TRUE) < 0)
      throw std::runtime_error("pocketsphinx: cannot process the audio");
    if (ps_end_utt(decoder_) < 0) throw std::runtime_error("pocketsphinx: cannot finish");
    logmath_t* lmath = ps_get_logmath(decoder_);
    for (ps_seg_t* seg = ps_seg_iter(decoder_); seg; seg = ps_seg_next(seg)) {
      std::string word = ps_seg_word(seg);
      if (auto paren = word.find('('); paren != std::string::npos) word.resize(paren);  // "read(2)"
      if (!is_word(word)) continue;
      int sf = 0, ef = 0;
      ps_seg_frames(seg, &sf, &ef);
      int32 ascr = 0, lscr = 0, lback = 0;
      int32 post = ps_seg_prob(seg, &ascr, &lscr, &lback);
      double confidence = std::clamp(logmath_exp(lmath, post), 0.0, 1.0);
      r.words.push_back({word, sf / kFramesPerSecond, (ef + 1) / kFramesPerSecond, confidence});
      if (!r.text.empty()) r.text += ' ';
      r.text += word;
    }
    return r;
  }

 private:
  cmd_ln_t* config_ = nullptr;
  ps_decoder_t* decoder_ = nullptr;
};

}  // namespace

PocketsphinxEngine::PocketsphinxEngine(PocketsphinxSettings settings)
    : settings_(std::move(settings)) {
  for (const char* f : {"/en-us", "/en-us.lm.bin", "/cmudict-en-us.dict"})
    if (!std::filesystem::exists(settings_.model_dir + f))
      throw std::runtime_error("pocketsphinx model missing: " + settings_.model_dir + f +
                               " (Debian package pocketsphinx-en-us)");
}

// A decoder on loan: recognises with it, and hands it back to the engine.
class PocketsphinxEngine::Lease final : public Recognizer {
 public:
  Lease(PocketsphinxEngine& engine, std::unique_ptr<Recognizer> decoder)
      : engine_(engine), decoder_(std::move(decoder)) {}
  ~Lease() override { engine_.give_back(std::move(decoder_)); }
  Recognition recognize(std::span<const std::int16_t> pcm) override {
    return decoder_->recognize(pcm);
  }

 private:
  PocketsphinxEngine& engine_;
  std::unique_ptr<Recognizer> decoder_;
};

PocketsphinxEngine::~PocketsphinxEngine() = default;

std::unique_ptr<Recognizer> PocketsphinxEngine::recognizer() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto decoder = std::move(idle_.back());
      idle_.pop_back();
      return std::make_unique<Lease>(*this, std::move(decoder));
    }
  }
  // Loaded outside the lock: it takes a while, and others may be loading.
  auto decoder = std::make_unique<PocketsphinxRecognizer>(settings_);
  std::lock_guard lock(mutex_);
  ++loaded_;
  return std::make_unique<Lease>(*this, std::move(decoder));
}

void PocketsphinxEngine::give_back(std::unique_ptr<Recognizer> decoder) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < settings_.keep_loaded) idle_.push_back(std::move(decoder));
}

std::size_t PocketsphinxEngine::decoders_loaded() const {
  std::lock_guard lock(mutex_);
  return loaded_;
}

}  // namespace companion::asr
