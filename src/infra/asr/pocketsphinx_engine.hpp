#pragma once
// The offline engine: CMU pocketsphinx with the US English models from
// Debian (pocketsphinx-en-us): acoustic model, 3-gram language model and
// the CMU pronouncing dictionary.
#include <string>

#include "infra/asr/recognizer.hpp"

namespace companion::asr {

struct PocketsphinxSettings {
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
};

class PocketsphinxEngine final : public Engine {
 public:
  // Throws std::runtime_error when the models are missing.
  explicit PocketsphinxEngine(PocketsphinxSettings settings = {});
  std::unique_ptr<Recognizer> recognizer() override;
  std::string name() const override { return "pocketsphinx"; }
  std::string language() const override { return "en"; }

 private:
  PocketsphinxSettings settings_;
};

}  // namespace companion::asr
