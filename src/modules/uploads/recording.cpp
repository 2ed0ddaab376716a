#include "modules/uploads/recording.hpp"

#include <boost/json.hpp>

#include "infra/clock/rfc3339.hpp"

namespace companion::uploads {

std::string_view to_string(Consent c) {
  return c == Consent::kAllParties ? "all-parties" : "self-only";
}

std::optional<Consent> consent_from_string(std::string_view s) {
  if (s == "all-parties") return Consent::kAllParties;
  if (s == "self-only") return Consent::kSelfOnly;
  return std::nullopt;
}

std::string summary_json(const Recording& r) {
  boost::json::object o;
  o["sizeBytes"] = r.size_bytes;
  o["durationSeconds"] = static_cast<double>(r.duration_ms) / 1000.0;
  o["mimeType"] = r.mime_type;
  o["container"] = r.container;
  o["codec"] = r.codec;
  o["channels"] = r.channels;
  o["sampleRate"] = r.sample_rate;
  o["consent"] = to_string(r.consent);
  o["consentAt"] = format_rfc3339(r.consent_at_ms);
  o["uploadedAt"] = format_rfc3339(r.uploaded_at_ms);
  o["filename"] = r.filename ? boost::json::value(*r.filename) : boost::json::value(nullptr);
  return boost::json::serialize(o);
}

}  // namespace companion::uploads
