// The audit chain's canonical form and hash: fixed bytes for fixed
// fields, and every field covered.
#include <gtest/gtest.h>

#include "infra/crypto/encoding.hpp"
#include "modules/audit/audit_chain.hpp"

namespace companion::audit {
namespace {

AuditEntry entry() {
  return {7, 1'800'000'000'000, "session.started", "ab12", "192.0.2.7", R"({"sessionId":"s"})", ""};
}

TEST(AuditChain, TheCanonicalFormIsAFixedJsonArray) {
  EXPECT_EQ(canonical_form(entry()),
            R"([7,1800000000000,"session.started","ab12","192.0.2.7","{\"sessionId\":\"s\"}"])");
  auto e = entry();
  e.subject.reset();
  e.ip.reset();
  EXPECT_EQ(canonical_form(e),
            R"([7,1800000000000,"session.started",null,null,"{\"sessionId\":\"s\"}"])");
}

TEST(AuditChain, TheHashIsSha256OverThePreviousHashAndTheCanonicalForm) {
  auto e = entry();
  EXPECT_EQ(
      chain_hash(kGenesisHash, e),
      crypto::hex_encode(crypto::sha256(std::string(kGenesisHash) + "\n" + canonical_form(e))));
}

TEST(AuditChain, EveryFieldAndThePreviousHashChangeTheHash) {
  auto base = chain_hash(kGenesisHash, entry());
  std::vector<AuditEntry> changed(6, entry());
  changed[0].id = 8;
  changed[1].at_ms += 1;
  changed[2].action = "session.ended";
  changed[3].subject = "ab13";
  changed[4].ip = "192.0.2.8";
  changed[5].detail = R"({"sessionId":"t"})";
  for (const auto& e : changed) EXPECT_NE(chain_hash(kGenesisHash, e), base);
  EXPECT_NE(chain_hash(std::string(64, '1'), entry()), base);
  // A missing value and an empty one are told apart.
  auto empty_ip = entry();
  empty_ip.ip = "";
  auto no_ip = entry();
  no_ip.ip.reset();
  EXPECT_NE(chain_hash(kGenesisHash, empty_ip), chain_hash(kGenesisHash, no_ip));
}

}  // namespace
}  // namespace companion::audit
