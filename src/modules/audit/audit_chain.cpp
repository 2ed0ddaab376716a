#include "modules/audit/audit_chain.hpp"

#include <boost/json.hpp>

#include "infra/crypto/encoding.hpp"

namespace companion::audit {

std::string canonical_form(const AuditEntry& e) {
  auto optional = [](const std::optional<std::string>& v) -> boost::json::value {
    if (v) return boost::json::string(*v);
    return nullptr;
  };
  boost::json::array fields{e.id,
                            e.at_ms,
                            boost::json::string(e.action),
                            optional(e.subject),
                            optional(e.ip),
                            boost::json::string(e.detail)};
  return boost::json::serialize(fields);
}

std::string chain_hash(std::string_view previous_hash, const AuditEntry& entry) {
  std::string input(previous_hash);
  input += '\n';
  input += canonical_form(entry);
  return crypto::hex_encode(crypto::sha256(input));
}

}  // namespace companion::audit
