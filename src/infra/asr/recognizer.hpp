#pragma once
// Speech recognition as an interface: an Engine makes Recognizers, one per
// worker thread (a recogniser is not thread-safe and is reused for every
// segment that thread decodes). pocketsphinx_engine.cpp is the offline
// default; a remote engine (OpenAI-compatible transcriptions API) comes
// beside it.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace companion::asr {

struct Word {
  std::string text;
  double start = 0;  // seconds from the start of the recognised audio
  double end = 0;
  double confidence = 0;  // 0..1
};

struct Recognition {
  std::vector<Word> words;
  std::string text;  // the words joined by spaces
};

class Recognizer {
 public:
  virtual ~Recognizer() = default;
  // 16 kHz mono 16-bit PCM, one utterance (a segment).
  virtual Recognition recognize(std::span<const std::int16_t> pcm) = 0;
  // Recognisers that wait (on a remote service) check this while they do,
  // and throw media::DecodeCancelled when it says true.
  void stop_when(std::function<bool()> cancelled) { cancelled_ = std::move(cancelled); }

 protected:
  bool cancelled() const { return cancelled_ && cancelled_(); }

 private:
  std::function<bool()> cancelled_;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::unique_ptr<Recognizer> recognizer() = 0;
  virtual std::string name() const = 0;
  // The language it recognises (BCP 47, "en").
  virtual std::string language() const = 0;
};

}  // namespace companion::asr
