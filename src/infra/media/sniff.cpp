// sniff(): a verdict on the first bytes of an upload. Order: text, well-known
// media signatures, well-known non-media signatures, then FFmpeg's own
// probing; whatever is left is kUnknown.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "infra/media/formats.hpp"
#include "infra/media/probe.hpp"

extern "C" {
#include <libavformat/avformat.h>
}

namespace companion::media {
namespace {

using namespace std::string_view_literals;

constexpr std::size_t kMinSniffBytes = 16;
constexpr std::size_t kMaxFfmpegProbeBytes = 1 << 20;

using Bytes = std::span<const unsigned char>;

bool at(Bytes b, std::size_t offset, std::string_view magic) {
  return b.size() >= offset + magic.size() &&
         std::memcmp(b.data() + offset, magic.data(), magic.size()) == 0;
}

// The length of the MPEG audio (layer I/II/III) frame whose header starts at
// `p`, or 0 when these 4 bytes are no valid header. `first` (when given)
// must be a header of the same stream: same version, layer and rate.
std::size_t mpeg_audio_frame(const unsigned char* p, const unsigned char* first) {
  if (p[0] != 0xFF || (p[1] & 0xE0) != 0xE0) return 0;
  const int version = (p[1] >> 3) & 3;  // 0: MPEG-2.5, 1: reserved, 2: MPEG-2, 3: MPEG-1
  const int layer = (p[1] >> 1) & 3;    // 1: III, 2: II, 3: I, 0: reserved
  const int bitrate_index = p[2] >> 4;
  const int rate_index = (p[2] >> 2) & 3;
  const int padding = (p[2] >> 1) & 1;
  if (version == 1 || layer == 0 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3)
    return 0;
  if (first && ((p[1] & 0xFE) != (first[1] & 0xFE) || (p[2] & 0x0C) != (first[2] & 0x0C))) return 0;
  static constexpr int kBitrates[5][15] = {
      {0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},  // V1 L1
      {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},     // V1 L2
      {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},      // V1 L3
      {0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},     // V2 L1
      {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},          // V2 L2/L3
  };
  static constexpr int kRates[3] = {44100, 48000, 32000};
  const bool v1 = version == 3;
  const int row = v1 ? 3 - layer : (layer == 3 ? 3 : 4);
  const long bitrate = kBitrates[row][bitrate_index] * 1000L;
  const long rate = kRates[rate_index] >> (v1 ? 0 : version == 2 ? 1 : 2);
  if (layer == 3) return static_cast<std::size_t>((12 * bitrate / rate + padding) * 4);
  const long coefficient = (layer == 1 && !v1) ? 72 : 144;
  return static_cast<std::size_t>(coefficient * bitrate / rate + padding);
}

// The length of the ADTS (raw AAC) frame whose header starts at `p`, or 0.
std::size_t adts_frame(const unsigned char* p, const unsigned char* /*first*/) {
  if (p[0] != 0xFF || (p[1] & 0xF6) != 0xF0) return 0;
  if (((p[2] >> 2) & 0xF) >= 13) return 0;
  const std::size_t length = ((p[3] & 3u) << 11) | (p[4] << 3) | (p[5] >> 5);
  return length >= 7 ? length : 0;
}

// Two consecutive frames, the first at offset 0: 1 yes, 0 no, -1 too few bytes to tell.
using FrameLength = std::size_t (*)(const unsigned char* p, const unsigned char* first);
int two_frames(Bytes b, FrameLength frame_length) {
  if (b.size() < 8) return -1;
  const std::size_t length = frame_length(b.data(), nullptr);
  if (length == 0) return 0;
  if (b.size() < length + 8) return -1;
  return frame_length(b.data() + length, b.data()) != 0 ? 1 : 0;
}

std::optional<Sniff> by_signature(Bytes b) {
  // Media.
  if ((at(b, 0, "RIFF") || at(b, 0, "RF64") || at(b, 0, "BW64")) && at(b, 8, "WAVE"))
    return Sniff::kAudioOrVideo;
  if (at(b, 0, "RIFF") && at(b, 8, "AVI ")) return Sniff::kAudioOrVideo;
  if (at(b, 0, "ID3") && b[3] < 0xFF && b[4] < 0xFF) return Sniff::kAudioOrVideo;
  if (at(b, 0, "OggS") || at(b, 0, "fLaC") || at(b, 0, "\x1A\x45\xDF\xA3") || at(b, 0, "caff") ||
      at(b, 0, "#!AMR") || at(b, 0, ".snd") || at(b, 0, "wvpk") || at(b, 0, "MAC ") ||
      at(b, 0, "TTA1") || at(b, 0, "FLV\x01") || at(b, 0, "\0\0\x01\xBA"sv) ||
      at(b, 0, "\x30\x26\xB2\x75\x8E\x66\xCF\x11"))  // ASF header GUID
    return Sniff::kAudioOrVideo;
  if (at(b, 0, "FORM") && (at(b, 8, "AIFF") || at(b, 8, "AIFC"))) return Sniff::kAudioOrVideo;
  // ISO base media (mp4, m4a, mov, 3gp; but also HEIF/AVIF still images):
  // boxes start with a big-endian size, small for the first one.
  if (at(b, 4, "ftyp") && b[0] == 0 && b[1] == 0) {
    for (std::string_view image :
         {"avif", "avis", "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "crx "})
      if (at(b, 8, image)) return Sniff::kNotMedia;
    return Sniff::kAudioOrVideo;
  }
  if (b[0] == 0 && (at(b, 4, "moov") || at(b, 4, "mdat") || at(b, 4, "wide") || at(b, 4, "free")))
    return Sniff::kAudioOrVideo;  // QuickTime without ftyp
  if (b.size() > 376 && b[0] == 0x47 && b[188] == 0x47 && b[376] == 0x47)
    return Sniff::kAudioOrVideo;  // MPEG transport stream
  if (two_frames(b, &mpeg_audio_frame) == 1 || two_frames(b, &adts_frame) == 1)
    return Sniff::kAudioOrVideo;  // raw MPEG audio or AAC (ADTS): two frames in a row

  // Not media: documents, archives, images, executables, databases.
  static constexpr std::string_view kOther[] = {
      "%PDF-"sv,
      "PK\x03\x04"sv,
      "PK\x05\x06"sv,
      "PK\x07\x08"sv,
      "\x89PNG\r\n\x1A\n"sv,
      "\xFF\xD8\xFF"sv,
      "GIF87a"sv,
      "GIF89a"sv,
      "II*\0"sv,
      "MM\0*"sv,
      "\177ELF"sv,
      "MZ"sv,
      "\x1F\x8B"sv,
      "BZh"sv,
      "\3757zXZ"sv,
      "7z\xBC\xAF\x27\x1C"sv,
      "Rar!\x1A\x07"sv,
      "{\\rtf"sv,
      "SQLite format 3"sv,
      "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"sv,  // OLE: .doc, .xls, .msg
      "\x28\xB5\x2F\xFD"sv,                  // zstd
  };
  for (std::string_view magic : kOther)
    if (at(b, 0, magic)) return Sniff::kNotMedia;
  if (at(b, 0, "RIFF") && at(b, 8, "WEBP")) return Sniff::kNotMedia;
  if (at(b, 0, "BM") && b.size() >= 14 && b[6] == 0 && b[7] == 0 && b[8] == 0 && b[9] == 0)
    return Sniff::kNotMedia;  // BMP: reserved bytes are zero
  return std::nullopt;
}

bool text_unit(std::uint32_t c) {
  if (c >= 0x20) return c != 0x7F && !(c >= 0x80 && c < 0xA0);
  return c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0x1B;
}

// UTF-8 (or ASCII) text throughout, allowing a sequence cut off at the end.
bool utf8_text(Bytes b) {
  std::size_t i = at(b, 0, "\xEF\xBB\xBF") ? 3 : 0;
  while (i < b.size()) {
    const unsigned char c = b[i];
    std::size_t extra = 0;
    std::uint32_t cp = c;
    if (c < 0x80) {
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= b.size() && extra > 0) {
      for (std::size_t k = i + 1; k < b.size(); ++k)
        if ((b[k] & 0xC0) != 0x80) return false;
      return true;  // cut off by the prefix
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((b[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b[i + k] & 0x3F);
    }
    if (!text_unit(cp)) return false;
    i += extra + 1;
  }
  return true;
}

// UTF-16 with a byte-order mark.
bool utf16_text(Bytes b) {
  const bool le = at(b, 0, "\xFF\xFE");
  if (!le && !at(b, 0, "\xFE\xFF")) return false;
  for (std::size_t i = 2; i + 1 < b.size(); i += 2) {
    const std::uint32_t unit = le ? (b[i] | (b[i + 1] << 8)) : ((b[i] << 8) | b[i + 1]);
    if (unit >= 0xD800 && unit <= 0xDFFF) continue;  // surrogates: not checked further
    if (!text_unit(unit)) return false;
  }
  return true;
}

}  // namespace

Sniff sniff(std::span<const char> prefix) {
  detail::quiet_ffmpeg();
  Bytes b(reinterpret_cast<const unsigned char*>(prefix.data()), prefix.size());
  if (b.size() < kMinSniffBytes) return Sniff::kUnknown;
  // Text is never a recording (subtitles and playlists are not either), and
  // no binary media signature is text, so this goes first.
  if (utf8_text(b) || utf16_text(b)) return Sniff::kNotMedia;
  if (auto verdict = by_signature(b)) return *verdict;

  // FFmpeg's probing, on a zero-padded copy as it requires.
  const std::size_t n = std::min(b.size(), kMaxFfmpegProbeBytes);
  std::vector<unsigned char> buf(n + AVPROBE_PADDING_SIZE, 0);
  std::memcpy(buf.data(), b.data(), n);
  AVProbeData pd{};
  pd.filename = "";
  pd.buf = buf.data();
  pd.buf_size = static_cast<int>(n);
  int score = 0;
  const AVInputFormat* format = av_probe_input_format3(&pd, 1, &score);
  // Above AVPROBE_SCORE_RETRY is where FFmpeg itself stops reading more.
  if (format && score > AVPROBE_SCORE_RETRY)
    return detail::accepted_format(format->name) ? Sniff::kAudioOrVideo : Sniff::kNotMedia;
  return Sniff::kUnknown;
}

}  // namespace companion::media
