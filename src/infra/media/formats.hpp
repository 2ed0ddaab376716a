#pragma once
// Internal to infra/media: the containers probe() accepts, their friendly
// names and playback MIME types, and FFmpeg's process-wide setup.
#include <string_view>

namespace companion::media::detail {

struct ContainerFormat {
  std::string_view demuxer;     // FFmpeg's first demuxer name: "mov", "matroska", "wav", ...
  std::string_view name;        // what AudioInfo::container says
  std::string_view audio_mime;  // playback type without video
  std::string_view video_mime;  // playback type with video
};

// The entry for an FFmpeg demuxer name ("mov,mp4,m4a,3gp,3g2,mj2",
// "matroska,webm", "wav"), or nullptr when probe() does not accept that
// format (images, subtitles, playlists, exotic or risky demuxers).
const ContainerFormat* accepted_format(std::string_view ffmpeg_name);

// Routes FFmpeg's log output into a callback that drops it. Idempotent,
// thread-safe; every entry point calls it first.
void quiet_ffmpeg();

}  // namespace companion::media::detail
