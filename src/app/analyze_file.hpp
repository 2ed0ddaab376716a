#pragma once
// `interview-companion analyze FILE`: the whole pipeline's work on one
// local recording, without a database, a queue or a server: decode,
// transcribe (speakers per channel, or diarized), analyse (with
// --job-description FILE), and print the report: text for people, json for
// tools, html for the report page; to stdout or --out FILE. A progress bar
// on a terminal. The quickest way to see what the product does.
#include "app/settings.hpp"

namespace companion::app {

// Exit status: 0 with the report on stdout; 1 when the file cannot be
// read or is not a recording (the reason on stderr).
int run_analyze(const Settings& settings);

}  // namespace companion::app
