#include "infra/http/types.hpp"
#include "infra/http/json_text.hpp"

#include <boost/json.hpp>

#include "infra/errors/errors.hpp"

namespace companion::http {

std::string_view Request::path_param(std::string_view name) const {
  for (const auto& [k, v] : path_params)
    if (k == name) return v;
  return {};
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  auto it = raw.find(name);
  if (it == raw.end()) return std::nullopt;
  return it->value();
}

const Caller& Request::user() const {
  if (!caller) throw Unauthorized();
  return *caller;
}

Response json_response(Status status, const boost::json::value& body) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = to_json_text(body);
  res.prepare_payload();
  return res;
}

Response text_response(Status status, std::string body, std::string_view content_type) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response empty_response(Status status) {
  Response res{status, 11};
  res.prepare_payload();
  return res;
}

}  // namespace companion::http
