#include "modules/billing/plan.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace companion::billing {
namespace {

namespace json = boost::json;

std::invalid_argument problem(std::size_t index, std::string_view field, std::string_view what) {
  return std::invalid_argument("plan " + std::to_string(index) + ": \"" + std::string(field) +
                               "\" " + std::string(what));
}

std::int64_t whole(const json::value& v, std::size_t index, std::string_view field,
                   std::int64_t min) {
  std::int64_t n = 0;
  if (v.is_int64())
    n = v.get_int64();
  else if (v.is_uint64() && v.get_uint64() <= std::uint64_t(INT64_MAX))
    n = static_cast<std::int64_t>(v.get_uint64());
  else
    throw problem(index, field, "must be a whole number");
  if (n < min) throw problem(index, field, "must be at least " + std::to_string(min));
  return n;
}

std::string text(const json::value& v, std::size_t index, std::string_view field) {
  if (!v.is_string() || v.get_string().empty() || v.get_string().size() > 200)
    throw problem(index, field, "must be a non-empty string of at most 200 characters");
  return std::string(v.get_string());
}

Plan parse_plan(const json::value& v, std::size_t index, std::uint64_t max_upload_bytes) {
  if (!v.is_object())
    throw std::invalid_argument("plan " + std::to_string(index) + " is not an object");
  Plan p;
  bool has_price = false;
  std::set<std::string> seen;
  for (const auto& [key, value] : v.get_object()) {
    seen.insert(std::string(key));
    if (key == "id") {
      p.id = text(value, index, key);
    } else if (key == "name") {
      p.name = text(value, index, key);
    } else if (key == "monthlyMinutes") {
      p.monthly_minutes = whole(value, index, key, 0);
    } else if (key == "maxUploadBytes") {
      p.max_upload_bytes = static_cast<std::uint64_t>(whole(value, index, key, 1));
      if (p.max_upload_bytes > max_upload_bytes)
        throw problem(
            index, key,
            "is above the server's --max-upload-size (" + std::to_string(max_upload_bytes) + ")");
    } else if (key == "retentionDays") {
      if (!value.is_null()) p.retention_days = whole(value, index, key, 1);
    } else if (key == "concurrentJobs") {
      p.concurrent_jobs = whole(value, index, key, 1);
    } else if (key == "maxRecordingMinutes") {
      if (!value.is_null()) p.max_recording_minutes = whole(value, index, key, 1);
    } else if (key == "priceId") {
      has_price = true;
      if (!value.is_null()) p.price_id = text(value, index, key);
    } else {
      throw problem(index, key, "is not a known field");
    }
  }
  for (const char* required :
       {"id", "name", "monthlyMinutes", "maxUploadBytes", "retentionDays", "concurrentJobs"})
    if (!seen.count(required)) throw problem(index, required, "is required");
  if (!has_price) throw problem(index, "priceId", "is required (null for the free plan)");
  return p;
}

}  // namespace

json::object to_json(const Plan& p) {
  json::object o;
  o["id"] = p.id;
  o["name"] = p.name;
  o["monthlyMinutes"] = p.monthly_minutes;
  o["maxUploadBytes"] = p.max_upload_bytes;
  if (p.retention_days)
    o["retentionDays"] = *p.retention_days;
  else
    o["retentionDays"] = nullptr;
  o["concurrentJobs"] = p.concurrent_jobs;
  if (p.max_recording_minutes)
    o["maxRecordingMinutes"] = *p.max_recording_minutes;
  else
    o["maxRecordingMinutes"] = nullptr;
  if (p.price_id)
    o["priceId"] = *p.price_id;
  else
    o["priceId"] = nullptr;
  return o;
}

Plans Plans::builtin(std::uint64_t max_upload_bytes) {
  Plans plans;
  plans.plans_.push_back({.id = "free",
                          .name = "Free",
                          .monthly_minutes = 6000,
                          .max_upload_bytes = max_upload_bytes,
                          .retention_days = std::nullopt,
                          .concurrent_jobs = 50,
                          .max_recording_minutes = std::nullopt,
                          .price_id = std::nullopt});
  return plans;
}

Plans Plans::parse(std::string_view text, std::uint64_t max_upload_bytes) {
  json::value doc;
  try {
    doc = json::parse(text);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("not JSON: ") + e.what());
  }
  if (!doc.is_array() || doc.get_array().empty())
    throw std::invalid_argument("must be a non-empty JSON array of plans");
  Plans plans;
  std::set<std::string> ids, prices;
  std::size_t frees = 0;
  for (std::size_t i = 0; i < doc.get_array().size(); ++i) {
    auto p = parse_plan(doc.get_array()[i], i, max_upload_bytes);
    if (!ids.insert(p.id).second) throw problem(i, "id", "repeats another plan's");
    if (p.price_id && !prices.insert(*p.price_id).second)
      throw problem(i, "priceId", "repeats another plan's");
    if (!p.price_id) {
      plans.free_ = i;
      ++frees;
    }
    plans.plans_.push_back(std::move(p));
  }
  if (frees != 1)
    throw std::invalid_argument("exactly one plan must be free (\"priceId\": null); found " +
                                std::to_string(frees));
  return plans;
}

Plans Plans::load(const std::string& path, std::uint64_t max_upload_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read " + path);
  std::string content(1 << 20, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(in.gcount()));
  if (in.peek() != std::char_traits<char>::eof())
    throw std::invalid_argument(path + " is larger than 1 MiB");
  return parse(content, max_upload_bytes);
}

const Plan* Plans::find(std::string_view id) const {
  for (const auto& p : plans_)
    if (p.id == id) return &p;
  return nullptr;
}

const Plan* Plans::by_price(std::string_view price_id) const {
  for (const auto& p : plans_)
    if (p.price_id && *p.price_id == price_id) return &p;
  return nullptr;
}

const Plan& Plans::resolve(std::string_view id) const {
  auto p = find(id);
  return p ? *p : free_plan();
}

}  // namespace companion::billing
