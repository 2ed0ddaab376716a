#pragma once
// What is in an uploaded recording, and whether it can be used at all:
// container, audio codec, channels, sample rate, duration, playback MIME
// type. Built on FFmpeg (libavformat, libavcodec); reads through a callback,
// so an encrypted blob is probed from its decrypted bytes without a
// plaintext file ever touching the disk.
//
// A file is accepted only when it holds an audio stream that actually
// decodes (one frame, within a few packets). Refusals are MediaError with a
// reason a person can read and a MediaProblem for code. The duration is
// checked against the file's real end, so a recording cut short (an mp3, a
// fast-start mp4, a flac, a webm) reports the part that is there rather than
// what its header promised; a file whose index is missing (an mp4 whose
// moov box was at the cut-off end) is refused as truncated.
//
// Every call blocks (run it on the blocking pool), is bounded by a deadline,
// is safe from several threads at once, and keeps FFmpeg's own logging off
// stderr (FFmpeg's log callback is replaced, process-wide, by one that drops
// everything).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace companion::media {

struct AudioInfo {
  double duration_seconds = 0;  // of the audio stream (or the container), > 0
  std::string container;        // friendly: "wav", "mp3", "mp4", "mov", "3gp", "ogg", "webm",
                                // "mkv", "flac", "aac", ...
  std::string codec;            // FFmpeg's codec name: "pcm_s16le", "mp3", "aac", "opus", ...
  int channels = 0;
  int sample_rate = 0;     // of the decoded audio (opus always decodes at 48 kHz)
  std::string mime_type;   // for playback: audio/wav, audio/mpeg, audio/mp4, video/mp4, ...
  bool has_video = false;  // a real video track (cover art in an mp3 does not count)
};

enum class MediaProblem {
  kEmpty,             // "the file is empty"
  kNotMedia,          // "the file is not a recognised audio or video format"
  kNoAudio,           // "the file has no audio stream"
  kUnsupportedCodec,  // "the file's audio codec is not supported"
  kCorrupt,           // "the file is truncated or corrupt"
  kTimedOut,          // "the file took too long to read"
  kOther,             // constructed from a bare message
};

// The sentence for a problem, as used in MediaError::what().
std::string_view describe(MediaProblem problem);

// Why a file was refused, in words a person understands.
class MediaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;  // problem() == kOther
  explicit MediaError(MediaProblem problem);
  MediaProblem problem() const noexcept { return problem_; }

 private:
  MediaProblem problem_ = MediaProblem::kOther;
};

// Reads the media: read(offset, out) fills `out` from `offset` and returns
// how many bytes it read (fewer is fine, 0 only at the end). Exceptions it
// throws propagate out of probe() unchanged (after every FFmpeg resource is
// freed), so a storage failure stays a storage failure.
using ReadAt = std::function<std::size_t(std::uint64_t offset, std::span<char> out)>;

inline constexpr std::chrono::milliseconds kDefaultProbeTimeout{30'000};

// `size` is the total size in bytes. Throws MediaError when the file is
// refused (or when `timeout` passes first: kTimedOut).
AudioInfo probe(ReadAt read, std::uint64_t size,
                std::chrono::milliseconds timeout = kDefaultProbeTimeout);
// A local regular file, read by offset (the descriptor stays open while
// `read` is kept). Opening, a file that is not regular, and read errors
// are std::system_error naming the file, not MediaError.
struct LocalFile {
  ReadAt read;
  std::uint64_t size = 0;
};
LocalFile open_local_file(const std::filesystem::path& path);

// The same for a local file (open_local_file's errors).
AudioInfo probe_file(const std::filesystem::path& path,
                     std::chrono::milliseconds timeout = kDefaultProbeTimeout);

// A quick verdict on the first bytes of an upload, before the rest arrives.
// Give it at least kSniffBytes when the upload has that many.
//   kAudioOrVideo: a container or codec signature FFmpeg recognises, and one
//                  probe() accepts (RIFF/WAVE, ID3, MPEG audio frames, ftyp,
//                  OggS, EBML, fLaC, ... or FFmpeg's own probing);
//   kNotMedia:     clearly something else: text (JSON, HTML, CSV, ...), PDF,
//                  ZIP/Office, images, executables, or a format probe()
//                  refuses anyway;
//   kUnknown:      fewer than 16 bytes, or undecided.
// probe() applies the same test and refuses kNotMedia. Thread-safe, no I/O.
enum class Sniff { kAudioOrVideo, kNotMedia, kUnknown };
inline constexpr std::size_t kSniffBytes = 4096;
Sniff sniff(std::span<const char> prefix);

}  // namespace companion::media
