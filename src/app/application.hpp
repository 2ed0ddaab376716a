#pragma once
// The composition root: builds every component from the settings, in
// dependency order, and runs a subcommand. Only this folder sees everything.
#include "app/settings.hpp"

namespace companion::app {

// Returns the process exit code.
int run(const Settings& settings);

}  // namespace companion::app
