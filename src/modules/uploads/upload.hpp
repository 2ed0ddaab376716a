#pragma once
// A tus upload (https://tus.io/protocols/resumable-upload, 1.0.0): its
// state, kept in the database so it survives restarts, and the parsing of
// the tus request headers that describe it. No HTTP types.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modules/uploads/recording.hpp"

namespace companion::uploads {

// Concatenation extension: a partial upload is one piece of a final one.
enum class Concat { kNone, kPartial, kFinal };
std::string_view to_string(Concat c);

struct Upload {
  std::string id;
  std::string user_id;
  std::optional<std::string> interview_id;  // none for partial uploads
  Concat concat = Concat::kNone;
  std::optional<std::uint64_t> length;  // nullopt while deferred
  std::uint64_t offset = 0;
  std::string metadata;  // Upload-Metadata as the client sent it
  std::optional<Consent> consent;
  std::optional<std::string> filename;
  std::optional<std::string> filetype;
  std::vector<std::string> parts;  // a final upload's partial uploads, in order
  // The interview's status before this upload moved it to `uploading`.
  std::optional<std::string> previous_status;
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::optional<std::int64_t> completed_at_ms;

  bool complete() const { return length && offset == *length; }
};

// A committed piece of an upload: one sealed object.
struct UploadSegment {
  std::uint64_t start = 0;
  std::uint64_t size = 0;
  std::string storage_key;
};

// Upload-Metadata: comma-separated `key base64value` pairs (the value may
// be absent). Throws ValidationError on a malformed list, a repeated key
// or a value that is not base64.
std::vector<std::pair<std::string, std::optional<std::string>>> parse_metadata(
    std::string_view header);

// What the recording-related metadata says, validated: interviewId (a
// UUID), consent, and the optional filename and filetype (printable UTF-8,
// at most 255 bytes). Throws ValidationError naming the key.
struct RecordingMetadata {
  std::optional<std::string> interview_id;
  std::optional<Consent> consent;
  std::optional<std::string> filename;
  std::optional<std::string> filetype;
};
RecordingMetadata recording_metadata(std::string_view header);

// Upload-Concat: "partial", or "final;<url> <url>…" whose URLs (absolute or
// paths) end in /v1/uploads/<id>; returns the concat kind and the ids.
// Throws ValidationError otherwise.
std::pair<Concat, std::vector<std::string>> parse_concat(std::string_view header);

// Upload-Length, Upload-Offset: a non-negative decimal integer and nothing
// else. Throws BadRequest naming the header otherwise.
std::uint64_t parse_upload_number(std::string_view header_name, std::string_view value);

// Upload-Checksum: "<algorithm> <base64 digest>".
struct Checksum {
  std::string algorithm;  // sha1, sha256 or md5
  std::string digest;     // raw bytes
};
// Throws BadRequest for an unsupported algorithm or a malformed value.
Checksum parse_checksum(std::string_view header);

}  // namespace companion::uploads
