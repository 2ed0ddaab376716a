#include "infra/db/database.hpp"

#include <charconv>

namespace companion::db {

std::string_view dialect_name(Dialect d) {
  return d == Dialect::kSqlite ? "sqlite" : "postgresql";
}

std::string format_double(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, end);
}

const Row::Cell& Row::at(std::size_t i) const {
  if (i >= cells_.size()) throw Error(ErrorKind::kOther, "column index out of range");
  return cells_[i];
}

bool Row::is_null(std::size_t i) const {
  return std::holds_alternative<std::monostate>(at(i));
}

std::string Row::text(std::size_t i) const {
  auto v = optional_text(i);
  if (!v) throw Error(ErrorKind::kOther, "unexpected NULL in column " + std::to_string(i));
  return std::move(*v);
}

std::string_view Row::text_view(std::size_t i) const {
  if (auto* s = std::get_if<std::string>(&at(i))) return *s;
  throw Error(ErrorKind::kOther, "column " + std::to_string(i) + " is not text");
}

std::optional<std::string> Row::optional_text(std::size_t i) const {
  const auto& c = at(i);
  if (auto* s = std::get_if<std::string>(&c)) return *s;
  if (auto* n = std::get_if<std::int64_t>(&c)) return std::to_string(*n);
  if (auto* d = std::get_if<double>(&c)) return format_double(*d);
  return std::nullopt;
}

std::int64_t Row::int64(std::size_t i) const {
  auto v = optional_int64(i);
  if (!v) throw Error(ErrorKind::kOther, "unexpected NULL in column " + std::to_string(i));
  return *v;
}

std::optional<std::int64_t> Row::optional_int64(std::size_t i) const {
  const auto& c = at(i);
  if (auto* n = std::get_if<std::int64_t>(&c)) return *n;
  if (auto* d = std::get_if<double>(&c)) return static_cast<std::int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&c)) {
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec != std::errc() || p != s->data() + s->size())
      throw Error(ErrorKind::kOther, "column " + std::to_string(i) + " is not an integer");
    return out;
  }
  return std::nullopt;
}

}  // namespace companion::db
