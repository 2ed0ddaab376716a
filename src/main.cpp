// interview-companion: parses the command line, then hands over to app/.
#include <unistd.h>

#include <iostream>

#include "app/application.hpp"
#include "app/settings.hpp"

int main(int argc, char** argv) {
  companion::app::Settings settings;
  try {
    settings = companion::app::parse_settings(argc, argv, environ);
  } catch (const companion::app::ConfigError& e) {
    std::cerr << "interview-companion: " << e.what() << "\n";
    return 2;
  }
  if (settings.command.empty()) return 0;  // --help or --version
  return companion::app::run(settings);
}
