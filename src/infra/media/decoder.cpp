#include "infra/media/decoder.hpp"

#include "infra/media/demuxer.hpp"
#include "infra/media/formats.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

namespace companion::media {
namespace {

using namespace detail;

struct SwrDeleter {
  void operator()(SwrContext* s) const { swr_free(&s); }
};

}  // namespace

DecodeResult decode(ReadAt read, std::uint64_t size, const DecodeOptions& options,
                    const PcmBlock& on_block) {
  if (size == 0) throw MediaError(MediaProblem::kEmpty);
  Demuxer d(read, size, Clock::now() + options.timeout);
  int score = 0;
  const AVInputFormat* format = d.recognise(score);
  quiet_ffmpeg();
  if (!format || !accepted_format(format->name)) throw MediaError(MediaProblem::kNotMedia);
  d.open(format, MediaProblem::kCorrupt);
  if (avformat_find_stream_info(d.fmt(), nullptr) < 0) d.fail(MediaProblem::kCorrupt);
  const AVCodec* codec = nullptr;
  int index = av_find_best_stream(d.fmt(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (index == AVERROR_STREAM_NOT_FOUND) throw MediaError(MediaProblem::kNoAudio);
  if (index < 0 || !codec) throw MediaError(MediaProblem::kUnsupportedCodec);
  for (unsigned i = 0; i < d.fmt()->nb_streams; ++i)
    if (static_cast<int>(i) != index) d.stream(static_cast<int>(i))->discard = AVDISCARD_ALL;

  AVStream* st = d.stream(index);
  std::unique_ptr<AVCodecContext, CodecDeleter> ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  if (avcodec_parameters_to_context(ctx.get(), st->codecpar) < 0)
    d.fail(MediaProblem::kUnsupportedCodec);
  ctx->pkt_timebase = st->time_base;
  ctx->thread_count = 1;
  if (avcodec_open2(ctx.get(), codec, nullptr) < 0) d.fail(MediaProblem::kUnsupportedCodec);

  const int in_channels = ctx->ch_layout.nb_channels;
  const int out_channels = in_channels == 2 ? 2 : 1;
  std::unique_ptr<SwrContext, SwrDeleter> swr;
  std::vector<std::vector<std::int16_t>> planes(static_cast<std::size_t>(out_channels));
  DecodeResult result{out_channels, 0};

  auto open_resampler = [&](const AVFrame* frame) {
    AVChannelLayout out_layout;
    av_channel_layout_default(&out_layout, out_channels);
    SwrContext* raw = nullptr;
    if (frame->sample_rate <= 0 || frame->sample_rate > kMaxSampleRate ||
        swr_alloc_set_opts2(&raw, &out_layout, AV_SAMPLE_FMT_S16P, options.sample_rate,
                            const_cast<AVChannelLayout*>(&frame->ch_layout),
                            static_cast<AVSampleFormat>(frame->format), frame->sample_rate, 0,
                            nullptr) < 0 ||
        swr_init(raw) < 0) {
      swr_free(&raw);
      throw MediaError(MediaProblem::kUnsupportedCodec);
    }
    swr.reset(raw);
  };
  // Converts (or, with no frame, flushes) and hands the block over.
  auto deliver = [&](const AVFrame* frame) {
    int in_samples = frame ? frame->nb_samples : 0;
    int room = swr_get_out_samples(swr.get(), in_samples);
    if (room <= 0) return;
    std::vector<std::uint8_t*> out(planes.size());
    for (std::size_t c = 0; c < planes.size(); ++c) {
      planes[c].resize(static_cast<std::size_t>(room));
      out[c] = reinterpret_cast<std::uint8_t*>(planes[c].data());
    }
    int got = swr_convert(swr.get(), out.data(), room,
                          frame ? const_cast<const std::uint8_t**>(frame->extended_data) : nullptr,
                          in_samples);
    if (got < 0) throw MediaError(MediaProblem::kCorrupt);
    if (got == 0) return;
    std::vector<std::span<const std::int16_t>> block;
    for (auto& p : planes) block.emplace_back(p.data(), static_cast<std::size_t>(got));
    on_block(block);
    result.frames += static_cast<std::uint64_t>(got);
  };

  std::unique_ptr<AVFrame, FrameDeleter> frame(av_frame_alloc());
  if (!frame) throw std::bad_alloc();
  auto pkt = make_packet();
  bool broken = false;
  auto drain = [&] {
    for (;;) {
      int r = avcodec_receive_frame(ctx.get(), frame.get());
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
      if (r < 0) {
        broken = true;
        return;
      }
      if (frame->nb_samples > 0) {
        if (!swr) open_resampler(frame.get());
        deliver(frame.get());
      }
      av_frame_unref(frame.get());
      if (options.cancelled && options.cancelled()) throw DecodeCancelled();
    }
  };
  for (;;) {
    int r = av_read_frame(d.fmt(), pkt.get());
    if (r == AVERROR_EOF) break;
    if (r < 0) {
      d.rethrow_read_error();
      if (d.expired()) throw MediaError(MediaProblem::kTimedOut);
      broken = true;
      break;
    }
    if (pkt->stream_index == index &&
        avcodec_send_packet(ctx.get(), pkt.get()) == AVERROR_INVALIDDATA)
      broken = true;
    av_packet_unref(pkt.get());
    drain();
  }
  avcodec_send_packet(ctx.get(), nullptr);
  drain();
  if (swr) deliver(nullptr);
  if (result.frames == 0)
    throw MediaError(broken ? MediaProblem::kCorrupt : MediaProblem::kNoAudio);
  result.truncated = broken;
  return result;
}

}  // namespace companion::media
