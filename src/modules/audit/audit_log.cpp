#include "modules/audit/audit_log.hpp"

#include <boost/json.hpp>

#include <stdexcept>

#include "infra/crypto/encoding.hpp"

namespace companion::audit {
namespace {

constexpr int kVerifyPage = 1000;

}  // namespace

AuditLog::AuditLog(db::Database& db, std::string subject_key, const Clock& clock)
    : db_(db), key_(std::move(subject_key)), clock_(clock) {
  if (key_.size() < 32) throw std::invalid_argument("the audit subject key must be 32 bytes");
}

std::string AuditLog::subject_of(std::string_view user_id) const {
  return keyed_hash("user", user_id);
}

std::string AuditLog::keyed_hash(std::string_view kind, std::string_view value) const {
  std::string input(kind);
  input += '\n';
  input += value;
  return crypto::hex_encode(crypto::hmac_sha256(key_, input));
}

void AuditLog::append_in(db::Connection& c, const Record& record) {
  auto head = repository_.advance_head(c);
  AuditEntry entry{
      .id = head.last_id,
      .at_ms = clock_.now_ms(),
      .action = record.action,
      .subject = record.user_id ? std::optional(subject_of(*record.user_id)) : std::nullopt,
      .ip = record.ip,
      .detail = boost::json::serialize(record.detail)};
  entry.hash = chain_hash(head.last_hash, entry);
  repository_.insert(c, entry);
}

boost::asio::awaitable<void> AuditLog::append(Record record) {
  co_await db_.write([&](db::Connection& c) { append_in(c, record); });
}

boost::asio::awaitable<Page> AuditLog::list(std::string user_id, std::optional<std::int64_t> before,
                                            int limit) {
  auto subject = subject_of(user_id);
  auto items = co_await db_.read(
      [&](db::Connection& c) { return repository_.list(c, subject, before, limit + 1); });
  Page page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(static_cast<std::size_t>(limit));
    page.next_cursor = items.back().id;
  }
  page.items = std::move(items);
  co_return page;
}

VerifyReport AuditLog::verify(db::Database& db) {
  AuditRepository repository;
  auto lease = db.acquire(db::Access::kRead);
  // The head first: entries appended while the walk runs are left for the
  // next check, and the walk must reach the head it read.
  auto head = repository.head(*lease);
  VerifyReport report;
  std::string previous(kGenesisHash);
  std::int64_t last = 0;
  while (last < head.last_id) {
    auto page = repository.scan(*lease, last, kVerifyPage);
    if (page.empty()) break;
    for (const auto& entry : page) {
      if (entry.id > head.last_id) break;
      if (entry.id != last + 1) {
        report.broken_at = last + 1;
        report.reason = "entry " + std::to_string(last + 1) + " is missing (the next is " +
                        std::to_string(entry.id) + ")";
        return report;
      }
      if (chain_hash(previous, entry) != entry.hash) {
        report.broken_at = entry.id;
        report.reason = "its hash does not match its content and the entry before it";
        return report;
      }
      previous = entry.hash;
      last = entry.id;
      ++report.entries;
    }
  }
  if (last != head.last_id) {
    report.broken_at = last + 1;
    report.reason = "the chain's head names entry " + std::to_string(head.last_id) +
                    " but the log ends at " + std::to_string(last);
  } else if (previous != head.last_hash) {
    report.broken_at = last;
    report.reason = "the chain's head holds another hash for the last entry";
  }
  return report;
}

}  // namespace companion::audit
