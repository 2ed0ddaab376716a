#include "infra/http/router.hpp"

#include <stdexcept>

namespace companion::http {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_param(const std::string& s) {
  return s.size() > 2 && s.front() == '{' && s.back() == '}';
}

}  // namespace

void Router::add(Verb method, std::string path_template, RouteOptions options, Handler handler) {
  std::vector<std::string> segments;
  for (auto part : split(path_template)) segments.emplace_back(part);
  Route r{method, path_template, std::move(options), std::move(handler), std::move(segments)};
  // Templates that differ only in parameter names match the same paths.
  auto same_shape = [](const Route& a, const Route& b) {
    if (a.segments.size() != b.segments.size()) return false;
    for (std::size_t i = 0; i < a.segments.size(); ++i) {
      bool pa = is_param(a.segments[i]), pb = is_param(b.segments[i]);
      if (pa != pb || (!pa && a.segments[i] != b.segments[i])) return false;
    }
    return true;
  };
  for (const auto& existing : routes_)
    if (existing.method == method && same_shape(existing, r))
      throw std::logic_error("route registered twice: " + path_template);
  routes_.push_back(std::move(r));
}

Router::Match Router::match(Verb method, std::string_view path) const {
  Match result;
  auto parts = split(path);
  for (const auto& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    bool ok = true;
    for (std::size_t k = 0; k < parts.size() && ok; ++k)
      ok = is_param(r.segments[k]) || r.segments[k] == parts[k];
    if (!ok) continue;
    // HEAD is served by the GET route (the pipeline drops the body).
    bool head_of_get = method == Verb::head && r.method == Verb::get;
    if (r.method != method && !head_of_get) {
      result.allowed.push_back(r.method);
      if (r.method == Verb::get) result.allowed.push_back(Verb::head);
      continue;
    }
    result.route = &r;
    for (std::size_t k = 0; k < parts.size(); ++k)
      if (is_param(r.segments[k]))
        result.params.emplace_back(r.segments[k].substr(1, r.segments[k].size() - 2),
                                   std::string(parts[k]));
    return result;
  }
  return result;
}

std::vector<Verb> Router::methods(std::string_view path) const {
  auto m = match(Verb::unknown, path);
  return m.allowed;
}

}  // namespace companion::http
