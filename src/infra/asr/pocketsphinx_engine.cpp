#include "infra/asr/pocketsphinx_engine.hpp"

#include <pocketsphinx.h>

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
    if (ps_process_raw(decoder_, pcm.data(), pcm.size(), FALSE, TRUE) < 0)
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

std::unique_ptr<Recognizer> PocketsphinxEngine::recognizer() {
  return std::make_unique<PocketsphinxRecognizer>(settings_);
}

}  // namespace companion::asr
