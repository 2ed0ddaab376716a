// probe(): FFmpeg over a custom AVIOContext that reads through ReadAt.
//
//   1. sniff() the first 4 KiB: text, documents and images stop here;
//   2. recognise the container (av_probe_input_buffer2) and accept only the
//      demuxers in formats.cpp; nested opens (playlists, references) are
//      refused outright;
//   3. open it, read stream info (bounded), pick the best audio stream and
//      decode one frame of it (within a few packets);
//   4. find the duration and check it against the file's real end (see
//      duration() below).
// Every FFmpeg object is owned by a unique_ptr; a deadline reaches FFmpeg
// through the interrupt callback and the read callback alike.
#include "infra/media/probe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <system_error>

#include "infra/media/demuxer.hpp"
#include "infra/media/formats.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/mem.h>
}

namespace companion::media {

std::string_view describe(MediaProblem problem) {
  switch (problem) {
    case MediaProblem::kEmpty:
      return "the file is empty";
    case MediaProblem::kNotMedia:
      return "the file is not a recognised audio or video format";
    case MediaProblem::kNoAudio:
      return "the file has no audio stream";
    case MediaProblem::kUnsupportedCodec:
      return "the file's audio codec is not supported";
    case MediaProblem::kCorrupt:
      return "the file is truncated or corrupt";
    case MediaProblem::kTimedOut:
      return "the file took too long to read";
    case MediaProblem::kOther:
      break;
  }
  return "the file cannot be used";
}

MediaError::MediaError(MediaProblem problem)
    : std::runtime_error(std::string(describe(problem))), problem_(problem) {}

namespace {

using namespace detail;

constexpr int kDecodeAudioPackets = 50;  // audio packets tried for one decoded frame
constexpr int kDecodeAnyPackets = 5000;  // packets of any stream read meanwhile
constexpr double kTailSeconds = 1.0;     // the end check starts this long before the stated end
constexpr double kEndTolerance = 0.5;    // seconds the stated and the found end may differ

bool known(std::int64_t ts) {
  return ts != AV_NOPTS_VALUE;
}

struct Decoded {
  int sample_rate;
  int channels;
};

// Decodes the first audio frame of stream `index`, reading at most a few
// packets; throws MediaError(`problem`) when none decodes.
Decoded decode_first_frame(Demuxer& d, int index, const AVCodec* codec, MediaProblem problem) {
  AVStream* st = d.stream(index);
  std::unique_ptr<AVCodecContext, CodecDeleter> ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  if (avcodec_parameters_to_context(ctx.get(), st->codecpar) < 0) d.fail(problem);
  ctx->pkt_timebase = st->time_base;
  ctx->thread_count = 1;
  if (avcodec_open2(ctx.get(), codec, nullptr) < 0) d.fail(problem);

  std::unique_ptr<AVFrame, FrameDeleter> frame(av_frame_alloc());
  if (!frame) throw std::bad_alloc();
  auto pkt = make_packet();
  auto receive = [&]() -> std::optional<Decoded> {
    while (avcodec_receive_frame(ctx.get(), frame.get()) == 0) {
      const Decoded got{frame->sample_rate, frame->ch_layout.nb_channels};
      const bool audible = frame->nb_samples > 0;
      av_frame_unref(frame.get());
      if (audible) return got;
    }
    return std::nullopt;
  };

  int audio_packets = 0;
  for (int packets = 0; packets < kDecodeAnyPackets && audio_packets < kDecodeAudioPackets;
       ++packets) {
    if (av_read_frame(d.fmt(), pkt.get()) < 0) break;  // end, damage or deadline: flush below
    if (pkt->stream_index == index) {
      ++audio_packets;
      avcodec_send_packet(ctx.get(), pkt.get());  // a damaged packet may be followed by good ones
    }
    av_packet_unref(pkt.get());
    if (auto got = receive()) return *got;
  }
  avcodec_send_packet(ctx.get(), nullptr);
  if (auto got = receive()) return *got;
  d.fail(problem);
}

// Stream `index`'s packets from the current position to the end of the
// file, in stream time base: the first timestamp, the start of the last
// packet and the end of the last packet; nullopt when no packet had a
// timestamp (or the deadline passed).
struct Span {
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  std::int64_t end = std::numeric_limits<std::int64_t>::min();
};
std::optional<Span> read_to_end(Demuxer& d, int index) {
  auto pkt = make_packet();
  Span span;
  bool any = false;
  for (std::uint64_t n = 1; av_read_frame(d.fmt(), pkt.get()) >= 0; ++n) {
    // FFmpeg checks the deadline when it reads; this covers packets it
    // makes without reading.
    if (n % 1024 == 0 && d.expired()) {
      av_packet_unref(pkt.get());
      break;
    }
    if (pkt->stream_index == index) {
      const std::int64_t ts = known(pkt->pts) ? pkt->pts : pkt->dts;
      if (known(ts)) {
        any = true;
        span.first = std::min(span.first, ts);
        span.last = std::max(span.last, ts);
        span.end = std::max(span.end, ts + std::max<std::int64_t>(pkt->duration, 0));
      }
    }
    av_packet_unref(pkt.get());
  }
  d.rethrow_read_error();
  if (!any || d.expired()) return std::nullopt;
  return span;
}

// For mp4/mov (`has_index` below): the moov index says where every sample is. When samples lie
// beyond the end of the file it was cut short; returns the seconds up to
// the first missing sample (nullopt: nothing is missing).
std::optional<double> mov_present_seconds(AVStream* st, std::uint64_t size) {
  const int n = avformat_index_get_entries_count(st);
  std::optional<std::int64_t> first_missing;
  for (int i = 0; i < n; ++i) {
    const AVIndexEntry* e = avformat_index_get_entry(st, i);
    if (e && e->pos >= 0 && static_cast<std::uint64_t>(e->pos) + e->size > size)
      first_missing = std::min(first_missing.value_or(e->timestamp), e->timestamp);
  }
  if (!first_missing) return std::nullopt;
  const std::int64_t start = known(st->start_time) ? st->start_time : 0;
  return std::max<double>(0, static_cast<double>(*first_missing - start) * av_q2d(st->time_base));
}

// The duration of the audio stream, checked against the file itself:
//   - the stated duration (stream, else container; not FFmpeg's bitrate
//     guess) is kept when the file really ends there: for mp4/mov the
//     sample index must lie inside the file, for other formats the packets
//     read from 1 s before the stated end must end within 0.5 s of it;
//   - otherwise (no duration stated, a guess, or a file cut short) every
//     packet is demuxed, in a second pass from the start, until the
//     deadline; with no time left the stated duration stands.
double duration(Demuxer& d, int index, const AVInputFormat* format, bool has_index,
                const ReadAt& read, std::uint64_t size, Clock::time_point deadline) {
  AVFormatContext* fmt = d.fmt();
  AVStream* st = d.stream(index);
  const double tb = av_q2d(st->time_base);
  std::optional<double> stated;
  if (fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) {
    if (known(st->duration) && st->duration > 0)
      stated = static_cast<double>(st->duration) * tb;
    else if (known(fmt->duration) && fmt->duration > 0)
      stated = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  }

  if (stated && has_index) return mov_present_seconds(st, size).value_or(*stated);

  if (stated && tb > 0) {
    const std::int64_t start = known(st->start_time) ? st->start_time : 0;
    const std::int64_t stated_end = start + std::llround(*stated / tb);
    const std::int64_t target =
        std::max<std::int64_t>(start, stated_end - std::llround(kTailSeconds / tb));
    if (avformat_seek_file(fmt, index, std::numeric_limits<std::int64_t>::min(), target, target,
                           0) >= 0) {
      if (auto tail = read_to_end(d, index);
          tail && std::abs(static_cast<double>(tail->end - start) * tb - *stated) <= kEndTolerance)
        return *stated;
    }
    d.rethrow_read_error();
  }

  // Second pass: every packet from the start.
  Demuxer scan(read, size, deadline);
  try {
    scan.open(format, MediaProblem::kCorrupt);
  } catch (const MediaError&) {
    if (stated) return *stated;
    throw;
  }
  if (avformat_find_stream_info(scan.fmt(), nullptr) >= 0 &&
      index < static_cast<int>(scan.fmt()->nb_streams) &&
      scan.stream(index)->codecpar->codec_id == st->codecpar->codec_id) {
    for (unsigned i = 0; i < scan.fmt()->nb_streams; ++i)
      scan.stream(i)->discard = static_cast<int>(i) == index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    if (auto all = read_to_end(scan, index)) {
      AVStream* sst = scan.stream(index);
      const double stb = av_q2d(sst->time_base);
      const std::int64_t start =
          known(sst->start_time) ? std::min(sst->start_time, all->first) : all->first;
      const double found = static_cast<double>(all->end - start) * stb;
      // Cut short: the last packet is likely cut too (a parser still
      // delivers it), so the audio that decodes ends where that packet starts.
      if (stated && found < *stated - kEndTolerance)
        return static_cast<double>(all->last - start) * stb;
      return found;
    }
  }
  scan.rethrow_read_error();
  if (stated) return *stated;
  if (scan.expired()) throw MediaError(MediaProblem::kTimedOut);
  throw MediaError(MediaProblem::kCorrupt);
}

// "webm" when the EBML header's DocType says so.
bool webm_doctype(const std::string& head) {
  const auto at = head.find("\x42\x82", 0, 2);  // DocType element id
  return at != std::string::npos && head.find("webm", at) != std::string::npos &&
         head.find("webm", at) <= at + 4;
}

std::string read_head(const ReadAt& read, std::uint64_t size, std::size_t want,
                      Clock::time_point deadline) {
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(size, want)), '\0');
  std::size_t got = 0;
  while (got < head.size()) {
    const std::size_t n = read(got, std::span<char>(head.data() + got, head.size() - got));
    if (n == 0) break;
    got += std::min(n, head.size() - got);
    if (Clock::now() >= deadline) throw MediaError(MediaProblem::kTimedOut);
  }
  head.resize(got);
  return head;
}

}  // namespace

AudioInfo probe(ReadAt read, std::uint64_t size, std::chrono::milliseconds timeout) {
  detail::quiet_ffmpeg();
  if (!read) throw std::invalid_argument("media::probe: no reader");
  if (size == 0) throw MediaError(MediaProblem::kEmpty);
  const auto deadline = Clock::now() + timeout;

  const std::string head = read_head(read, size, kSniffBytes, deadline);
  if (head.empty()) throw MediaError(MediaProblem::kCorrupt);  // shorter than announced
  if (sniff(head) == Sniff::kNotMedia) throw MediaError(MediaProblem::kNotMedia);

  Demuxer d(read, size, deadline);
  int score = 0;
  const AVInputFormat* format = d.recognise(score);
  if (!format) d.fail(MediaProblem::kNotMedia);
  const detail::ContainerFormat* container = detail::accepted_format(format->name);
  if (!container) throw MediaError(MediaProblem::kNotMedia);
  // A weak guess that then fails to open was never really that format.
  const MediaProblem broken =
      score > AVPROBE_SCORE_RETRY ? MediaProblem::kCorrupt : MediaProblem::kNotMedia;
  d.open(format, broken);
  AVFormatContext* fmt = d.fmt();
  if (avformat_find_stream_info(fmt, nullptr) < 0) d.fail(broken);

  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (index == AVERROR_STREAM_NOT_FOUND) throw MediaError(MediaProblem::kNoAudio);
  if (index == AVERROR_DECODER_NOT_FOUND) throw MediaError(MediaProblem::kUnsupportedCodec);
  if (index < 0 || !codec) d.fail(broken);

  AudioInfo info;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    AVStream* st = fmt->streams[i];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
      info.has_video = true;
    st->discard = static_cast<int>(i) == index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  }
  AVStream* audio = fmt->streams[index];
  const Decoded decoded = decode_first_frame(d, index, codec, broken);

  info.codec = avcodec_get_name(audio->codecpar->codec_id);
  info.sample_rate = decoded.sample_rate > 0 ? decoded.sample_rate : audio->codecpar->sample_rate;
  info.channels = decoded.channels > 0 ? decoded.channels : audio->codecpar->ch_layout.nb_channels;
  info.container = container->name;
  info.mime_type = info.has_video ? container->video_mime : container->audio_mime;
  if (container->demuxer == "mov") {
    const AVDictionaryEntry* brand = av_dict_get(fmt->metadata, "major_brand", nullptr, 0);
    const std::string_view b = brand && brand->value ? brand->value : "";
    if (b.starts_with("qt")) {
      info.container = "mov";
      if (info.has_video) info.mime_type = "video/quicktime";
    } else if (b.starts_with("3g")) {
      info.container = "3gp";
      info.mime_type = info.has_video ? "video/3gpp" : "audio/3gpp";
    }
  } else if (container->demuxer == "matroska" && webm_doctype(head)) {
    info.container = "webm";
    info.mime_type = info.has_video ? "video/webm" : "audio/webm";
  }

  info.duration_seconds =
      duration(d, index, format, container->demuxer == "mov", read, size, deadline);
  if (!(info.duration_seconds > 0) || info.sample_rate <= 0 ||
      info.sample_rate > detail::kMaxSampleRate || info.channels <= 0)
    throw MediaError(MediaProblem::kCorrupt);
  return info;
}

LocalFile open_local_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(), "cannot open " + path.string());
  // Closed with the last copy of the reader.
  auto handle = std::shared_ptr<int>(new int(fd), [](int* f) {
    ::close(*f);
    delete f;
  });
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot stat " + path.string());
  if (!S_ISREG(st.st_mode))
    throw std::system_error(EINVAL, std::generic_category(), path.string() + " is not a file");
  ReadAt read = [handle, name = path.string()](std::uint64_t offset,
                                               std::span<char> out) -> std::size_t {
    for (;;) {
      const auto n = ::pread(*handle, out.data(), out.size(), static_cast<off_t>(offset));
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR)
        throw std::system_error(errno, std::generic_category(), "cannot read " + name);
    }
  };
  return {std::move(read), static_cast<std::uint64_t>(st.st_size)};
}

AudioInfo probe_file(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  auto file = open_local_file(path);
  return probe(std::move(file.read), file.size, timeout);
}

}  // namespace companion::media
