// The operator's plans file (--plans-file): whatever it holds, it is
// refused with a reason (std::invalid_argument) or gives plans that keep
// their promises: exactly one free plan, distinct ids and prices, limits in
// range, and every plan found again by its id.
#include <cstddef>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string_view>

#include "check.hpp"
#include "modules/billing/plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::uint64_t kMaxUpload = 1ull << 32;
  try {
    auto plans = companion::billing::Plans::parse(text, kMaxUpload);
    FUZZ_CHECK(!plans.all().empty());
    FUZZ_CHECK(!plans.free_plan().price_id);
    std::set<std::string> ids;
    int frees = 0;
    for (const auto& p : plans.all()) {
      FUZZ_CHECK(ids.insert(p.id).second);
      FUZZ_CHECK(plans.find(p.id) == &p);
      FUZZ_CHECK(p.monthly_minutes >= 0 && p.concurrent_jobs >= 1 &&
                 (!p.retention_days || *p.retention_days >= 1));
      FUZZ_CHECK(p.max_upload_bytes >= 1 && p.max_upload_bytes <= kMaxUpload);
      if (p.price_id) FUZZ_CHECK(plans.by_price(*p.price_id) == &p);
      frees += !p.price_id;
    }
    FUZZ_CHECK(frees == 1);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
