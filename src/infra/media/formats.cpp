#include "infra/media/formats.hpp"

extern "C" {
#include <libavutil/log.h>
}

#include <array>
#include <cstdarg>
#include <mutex>

namespace companion::media::detail {
namespace {

// Demuxers for recordings people plausibly upload. Everything else FFmpeg
// can read (image sequences, playlists that open further URLs, subtitle and
// tracker formats, ...) is refused: less attack surface, clearer errors.
constexpr std::array<ContainerFormat, 27> kFormats{{
    {"wav", "wav", "audio/wav", "audio/wav"},
    {"w64", "w64", "audio/x-w64", "audio/x-w64"},
    {"mp3", "mp3", "audio/mpeg", "audio/mpeg"},
    {"aac", "aac", "audio/aac", "audio/aac"},
    {"loas", "loas", "audio/aac", "audio/aac"},
    {"mov", "mp4", "audio/mp4", "video/mp4"},                     // refined by brand: "mov", "3gp"
    {"matroska", "mkv", "audio/x-matroska", "video/x-matroska"},  // refined by doctype: "webm"
    {"ogg", "ogg", "audio/ogg", "video/ogg"},
    {"flac", "flac", "audio/flac", "audio/flac"},
    {"aiff", "aiff", "audio/aiff", "audio/aiff"},
    {"caf", "caf", "audio/x-caf", "audio/x-caf"},
    {"amr", "amr", "audio/amr", "audio/amr"},
    {"amrnb", "amr", "audio/amr", "audio/amr"},
    {"amrwb", "amr", "audio/amr-wb", "audio/amr-wb"},
    {"asf", "wma", "audio/x-ms-wma", "video/x-ms-asf"},
    {"avi", "avi", "audio/x-msvideo", "video/x-msvideo"},
    {"mpeg", "mpeg", "audio/mpeg", "video/mpeg"},
    {"mpegts", "mpegts", "audio/mp2t", "video/mp2t"},
    {"flv", "flv", "audio/x-flv", "video/x-flv"},
    {"au", "au", "audio/basic", "audio/basic"},
    {"ac3", "ac3", "audio/ac3", "audio/ac3"},
    {"eac3", "eac3", "audio/eac3", "audio/eac3"},
    {"wv", "wavpack", "audio/x-wavpack", "audio/x-wavpack"},
    {"ape", "ape", "audio/x-ape", "audio/x-ape"},
    {"tta", "tta", "audio/x-tta", "audio/x-tta"},
    {"mpc", "mpc", "audio/x-musepack", "audio/x-musepack"},
    {"mpc8", "mpc", "audio/x-musepack", "audio/x-musepack"},
}};

void drop_log(void*, int, const char*, va_list) {}

}  // namespace

const ContainerFormat* accepted_format(std::string_view ffmpeg_name) {
  // FFmpeg names a demuxer by a comma-separated list; the first is the demuxer's own.
  auto first = ffmpeg_name.substr(0, ffmpeg_name.find(','));
  for (const auto& f : kFormats)
    if (f.demuxer == first) return &f;
  return nullptr;
}

void quiet_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_QUIET);
    av_log_set_callback(&drop_log);
  });
}

}  // namespace companion::media::detail
