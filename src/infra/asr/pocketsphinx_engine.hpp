#pragma once
// The offline engine: CMU pocketsphinx with the US English models from
// Debian (pocketsphinx-en-us): acoustic model, 3-gram language model and
// the CMU pronouncing dictionary.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "infra/asr/recognizer.hpp"

namespace companion::asr {

struct PocketsphinxSettings {
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
  // Decoders kept loaded between transcriptions (loading one takes about
  // 0.3 s and 90 MB): the most that run at once, concurrency x threads.
  std::size_t keep_loaded = 2;
};

class PocketsphinxEngine final : public Engine {
 public:
  // Throws std::runtime_error when the models are missing.
  explicit PocketsphinxEngine(PocketsphinxSettings settings = {});
  ~PocketsphinxEngine() override;
  // A decoder loaded before, when one is idle; it goes back when the
  // returned recogniser is destroyed. The engine outlives its recognisers.
  std::unique_ptr<Recognizer> recognizer() override;
  std::string name() const override { return "pocketsphinx"; }
  std::string language() const override { return "en"; }
  // How many decoders have been loaded (the tests check reuse by it; no
  // metric reads it yet).
  std::size_t decoders_loaded() const;

 private:
  class Lease;
  void give_back(std::unique_ptr<Recognizer> decoder);

  PocketsphinxSettings settings_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Recognizer>> idle_;
  std::size_t loaded_ = 0;
};

}  // namespace companion::asr
