#pragma once
// FFmpeg over a custom AVIOContext that reads through ReadAt: the demuxer
// shared by probe() and decode(). Owns every FFmpeg object it creates; a
// deadline reaches FFmpeg through the interrupt and read callbacks alike;
// nested opens (playlists, external references) are refused. Internal to
// infra/media.
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <new>

#include "infra/media/probe.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
}

namespace companion::media::detail {

using Clock = std::chrono::steady_clock;

constexpr int kIoBufferSize = 64 * 1024;
constexpr unsigned kFormatProbeBytes = 1 << 20;  // read to recognise the container
constexpr std::int64_t kStreamInfoBytes = 5'000'000;
constexpr std::int64_t kStreamInfoMicros = 5'000'000;
// Above any real recording's rate (768 kHz studio audio). A header may say
// anything up to 2^31; resampling such a rate to 16 kHz makes swresample
// build filter tables for minutes, past every deadline.
constexpr int kMaxSampleRate = 768'000;

struct IoDeleter {
  void operator()(AVIOContext* io) const {
    if (!io) return;
    av_freep(&io->buffer);  // FFmpeg may have replaced the buffer we gave it
    avio_context_free(&io);
  }
};
struct FormatDeleter {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct CodecDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;

inline PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw std::bad_alloc();
  return p;
}

// What the AVIOContext reads from.
struct Source {
  const ReadAt* read;
  std::uint64_t size;
  Clock::time_point deadline;
  std::uint64_t pos = 0;
  bool expired = false;
  std::exception_ptr error;  // thrown by `read`; rethrown once FFmpeg has unwound

  bool past_deadline() {
    if (!expired && Clock::now() >= deadline) expired = true;
    return expired;
  }
};

inline int read_packet(void* opaque, std::uint8_t* buf, int buf_size) {
  auto& s = *static_cast<Source*>(opaque);
  if (s.error) return AVERROR(EIO);
  if (s.past_deadline()) return AVERROR_EXIT;
  if (s.pos >= s.size || buf_size <= 0) return AVERROR_EOF;
  const auto want = static_cast<std::size_t>(
      std::min<std::uint64_t>(static_cast<unsigned>(buf_size), s.size - s.pos));
  std::size_t n = 0;
  try {
    n = (*s.read)(s.pos, std::span<char>(reinterpret_cast<char*>(buf), want));
  } catch (...) {
    s.error = std::current_exception();
    return AVERROR(EIO);
  }
  if (n == 0) return AVERROR_EOF;  // shorter than announced
  n = std::min(n, want);
  s.pos += n;
  return static_cast<int>(n);
}

inline std::int64_t seek(void* opaque, std::int64_t offset, int whence) {
  auto& s = *static_cast<Source*>(opaque);
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return static_cast<std::int64_t>(s.size);
  std::int64_t base = 0;
  if (whence == SEEK_CUR) {
    base = static_cast<std::int64_t>(s.pos);
  } else if (whence == SEEK_END) {
    base = static_cast<std::int64_t>(s.size);
  } else if (whence != SEEK_SET) {
    return AVERROR(EINVAL);
  }
  if ((offset > 0 && base > std::numeric_limits<std::int64_t>::max() - offset) || base + offset < 0)
    return AVERROR(EINVAL);
  s.pos = static_cast<std::uint64_t>(base + offset);
  return base + offset;
}

inline int interrupted(void* opaque) {
  return static_cast<Source*>(opaque)->past_deadline() ? 1 : 0;
}

// Demuxers must not open anything beyond the upload itself (playlists,
// external references): that would read local files or fetch URLs.
inline int refuse_nested_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) {
  return AVERROR(EPERM);
}

// One pass over the media: the read source, its AVIOContext and (once
// opened) the demuxer. Not movable: FFmpeg holds pointers into it.
class Demuxer {
 public:
  Demuxer(const ReadAt& read, std::uint64_t size, Clock::time_point deadline)
      : source_{&read, size, deadline, 0, false, nullptr} {
    auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferSize));
    if (!buffer) throw std::bad_alloc();
    io_.reset(avio_alloc_context(buffer, kIoBufferSize, 0, &source_, &read_packet, nullptr, &seek));
    if (!io_) {
      av_free(buffer);
      throw std::bad_alloc();
    }
  }
  Demuxer(const Demuxer&) = delete;
  Demuxer& operator=(const Demuxer&) = delete;

  // The container FFmpeg recognises and its score, or nullptr.
  const AVInputFormat* recognise(int& score) {
    const AVInputFormat* format = nullptr;
    score = av_probe_input_buffer2(io_.get(), &format, "", nullptr, 0, kFormatProbeBytes);
    if (score < 0) {
      rethrow_read_error();
      return nullptr;
    }
    return format;
  }

  // Opens the demuxer; on failure throws MediaError(`problem`) (or the
  // read error, or kTimedOut).
  void open(const AVInputFormat* format, MediaProblem problem) {
    AVFormatContext* raw = avformat_alloc_context();
    if (!raw) throw std::bad_alloc();
    raw->pb = io_.get();
    // FAST_SEEK: mp3 seeks by scaling (CBR) or its TOC (VBR) instead of
    // reading every frame up to the target; the end check tolerates that.
    raw->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_FAST_SEEK;
    raw->interrupt_callback = {&interrupted, &source_};
    raw->io_open = &refuse_nested_open;
    raw->probesize = kStreamInfoBytes;
    raw->max_analyze_duration = kStreamInfoMicros;
    if (avformat_open_input(&raw, "", format, nullptr) < 0) fail(problem);  // frees `raw`
    fmt_.reset(raw);
  }

  AVFormatContext* fmt() const { return fmt_.get(); }
  AVStream* stream(int index) const { return fmt_->streams[index]; }
  bool expired() { return source_.past_deadline(); }

  void rethrow_read_error() const {
    if (source_.error) std::rethrow_exception(source_.error);
  }
  // A failed FFmpeg call: the read error behind it, the deadline, or `problem`.
  [[noreturn]] void fail(MediaProblem problem) {
    rethrow_read_error();
    if (source_.past_deadline()) throw MediaError(MediaProblem::kTimedOut);
    throw MediaError(problem);
  }

 private:
  Source source_;
  std::unique_ptr<AVIOContext, IoDeleter> io_;  // freed after fmt_ (declared first)
  std::unique_ptr<AVFormatContext, FormatDeleter> fmt_;
};

}  // namespace companion::media::detail
