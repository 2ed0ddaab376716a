#pragma once
// The repository root, for tests that run its scripts: COMPANION_ROOT, else
// derived from this file's path (which ccache may have made relative to the
// build directory).
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace companion::test_support {

inline std::filesystem::path repository_root() {
  namespace fs = std::filesystem;
  const fs::path marker = "scripts/make-test-media.sh";
  std::vector<fs::path> candidates;
  if (const char* root = std::getenv("COMPANION_ROOT"); root && *root)
    candidates.emplace_back(root);
  const fs::path self = fs::path(__FILE__).parent_path().parent_path().parent_path();
  candidates.push_back(self);
  candidates.push_back(fs::current_path() / self);
  candidates.push_back(fs::current_path());
  candidates.push_back(fs::current_path().parent_path());
  for (const auto& c : candidates)
    if (!c.empty() && fs::exists(c / marker)) return c;
  return {};
}

}  // namespace companion::test_support
