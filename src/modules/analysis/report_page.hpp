#pragma once
// The report page (GET /v1/interviews/{id}/report.html): one self-contained
// HTML document, no external assets and no scripts, with SVG charts (talk
// time per speaker along the recording, words per minute over time, fillers
// per minute, the questions and their answers) and every finding with its
// quotes and times. Built from the stored analysis body, so an analysis of
// any version renders with what it has.
#include <boost/json/object.hpp>

#include <string>

#include "modules/transcription/transcript.hpp"

namespace companion::analysis {

struct ReportInput {
  std::string title;       // the interview's
  std::string created_at;  // the analysis's, RFC 3339
  const transcription::Transcript& transcript;
  const boost::json::object& analysis;
};

std::string render_report(const ReportInput& input);

// Text made safe for HTML element content and attribute values.
std::string html_escape(std::string_view text);

}  // namespace companion::analysis
