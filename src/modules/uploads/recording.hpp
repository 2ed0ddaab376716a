#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infra/storage/sealed_blob.hpp"

namespace companion::uploads {

enum class Consent { kAllParties, kSelfOnly };
std::string_view to_string(Consent c);
std::optional<Consent> consent_from_string(std::string_view s);

// A stored recording: where its sealed bytes live and what they are.
struct Recording {
  std::string id;
  std::string interview_id;
  std::string user_id;
  std::string storage_key;                 // the first (often only) part
  std::vector<storage::SealedPart> parts;  // the sealed objects, in order
  std::uint64_t size_bytes = 0;            // plaintext
  std::int64_t duration_ms = 0;
  std::string mime_type;
  std::string container;
  std::string codec;
  int channels = 0;
  int sample_rate = 0;
  Consent consent = Consent::kSelfOnly;
  std::int64_t consent_at_ms = 0;
  std::int64_t uploaded_at_ms = 0;
  std::optional<std::string> filename;
};

// The contract's Interview.recording object, as JSON text.
std::string summary_json(const Recording& r);

}  // namespace companion::uploads
