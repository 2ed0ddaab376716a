#include "modules/uploads/upload.hpp"

#include <algorithm>
#include <charconv>

#include "infra/crypto/digest.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "infra/text/utf8.hpp"

namespace companion::uploads {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool printable_utf8(std::string_view s) {
  return s.size() <= 255 && text::is_valid_utf8(s) && std::none_of(s.begin(), s.end(), [](char c) {
           return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
         });
}

constexpr std::string_view kField = "Upload-Metadata";

}  // namespace

std::string_view to_string(Concat c) {
  switch (c) {
    case Concat::kPartial:
      return "partial";
    case Concat::kFinal:
      return "final";
    case Concat::kNone:
      break;
  }
  return "none";
}

std::vector<std::pair<std::string, std::optional<std::string>>> parse_metadata(
    std::string_view header) {
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  if (trim(header).empty()) return out;
  std::size_t pos = 0;
  while (pos <= header.size()) {
    auto comma = header.find(',', pos);
    auto pair = trim(header.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
    pos = comma == std::string_view::npos ? header.size() + 1 : comma + 1;
    auto space = pair.find(' ');
    auto key = pair.substr(0, space);
    if (key.empty() || key.size() > 64 ||
        std::any_of(key.begin(), key.end(), [](char c) { return c <= 0x20 || c >= 0x7F; }))
      throw ValidationError(std::string(kField),
                            "must be comma-separated pairs of a key and a base64 value");
    std::optional<std::string> value;
    if (space != std::string_view::npos) {
      auto encoded = trim(pair.substr(space + 1));
      value = crypto::base64_decode(encoded);
      if (!value)
        throw ValidationError(std::string(kField),
                              "the value of " + std::string(key) + " is not base64");
    }
    bool repeated =
        std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == key; });
    if (repeated) throw ValidationError(std::string(kField), "repeats the key " + std::string(key));
    out.emplace_back(std::string(key), std::move(value));
  }
  return out;
}

RecordingMetadata recording_metadata(std::string_view header) {
  RecordingMetadata m;
  for (auto& [key, value] : parse_metadata(header)) {
    auto v = value.value_or("");
    if (key == "interviewId") {
      if (!crypto::is_uuid(v))
        throw ValidationError("Upload-Metadata.interviewId", "must be an interview id");
      m.interview_id = crypto::normalize_uuid(v);
    } else if (key == "consent") {
      m.consent = consent_from_string(v);
      if (!m.consent)
        throw ValidationError("Upload-Metadata.consent",
                              "must say who agreed to be recorded: all-parties or self-only");
    } else if (key == "filename" || key == "filetype") {
      if (!printable_utf8(v))
        throw ValidationError("Upload-Metadata." + key,
                              "must be at most 255 bytes of printable UTF-8");
      if (!v.empty()) (key == "filename" ? m.filename : m.filetype) = v;
    }
    // Other keys (tus clients add their own) are kept as sent, not used.
  }
  return m;
}

std::pair<Concat, std::vector<std::string>> parse_concat(std::string_view header) {
  header = trim(header);
  if (header == "partial") return {Concat::kPartial, {}};
  if (header.rfind("final;", 0) != 0)
    throw ValidationError("Upload-Concat", "must be partial or final;<upload URLs>");
  std::vector<std::string> ids;
  auto list = header.substr(6);
  std::size_t pos = 0;
  while (pos < list.size()) {
    auto space = list.find(' ', pos);
    auto url = list.substr(pos, space == std::string_view::npos ? space : space - pos);
    pos = space == std::string_view::npos ? list.size() : space + 1;
    if (url.empty()) continue;
    constexpr std::string_view kPrefix = "/v1/uploads/";
    auto at = url.rfind(kPrefix);
    auto id = at == std::string_view::npos ? std::string_view{} : url.substr(at + kPrefix.size());
    if (!crypto::is_uuid(id))
      throw ValidationError("Upload-Concat", "names something that is not an upload: " +
                                                 std::string(url.substr(0, 200)));
    ids.push_back(crypto::normalize_uuid(id));
  }
  if (ids.empty() || ids.size() > 1000)
    throw ValidationError("Upload-Concat", "a final upload names 1 to 1000 partial uploads");
  return {Concat::kFinal, std::move(ids)};
}

std::uint64_t parse_upload_number(std::string_view header_name, std::string_view value) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || p != value.data() + value.size())
    throw BadRequest(std::string(header_name) + " must be a non-negative integer.");
  return v;
}

Checksum parse_checksum(std::string_view header) {
  header = trim(header);
  auto space = header.find(' ');
  if (space == std::string_view::npos)
    throw BadRequest("Upload-Checksum must be an algorithm and a base64 digest.");
  auto name = header.substr(0, space);
  auto algorithm = crypto::digest_algorithm(name);
  if (!algorithm)
    throw BadRequest("Upload-Checksum uses an unsupported algorithm; use sha1, sha256 or md5.");
  auto digest = crypto::base64_decode(trim(header.substr(space + 1)));
  std::size_t expected = *algorithm == crypto::DigestAlgorithm::kSha1     ? 20
                         : *algorithm == crypto::DigestAlgorithm::kSha256 ? 32
                                                                          : 16;
  if (!digest || digest->size() != expected)
    throw BadRequest("Upload-Checksum's digest is not a base64 " + std::string(name) + " digest.");
  return {std::string(name), std::move(*digest)};
}

}  // namespace companion::uploads
