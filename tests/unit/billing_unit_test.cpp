// Billing's pure parts: Stripe's webhook signatures (cross-checked with the
// official stripe npm package), its form bodies and subscription objects,
// plans files, metering periods and minutes, and a job's owner for fair
// scheduling.
#include <gtest/gtest.h>

#include "infra/queue/envelope.hpp"
#include "infra/stripe/signature.hpp"
#include "infra/stripe/stripe_client.hpp"
#include "modules/billing/billing_service.hpp"
#include "modules/billing/plan.hpp"
#include "modules/billing/subscription.hpp"

namespace companion {
namespace {

constexpr std::string_view kPayload = R"({"id":"evt_1","object":"event"})";
constexpr std::string_view kSecret = "whsec_test_secret";
// stripe.webhooks.generateTestHeaderString({payload, secret, timestamp})
// from the stripe npm package (tests/tools), version 23.2.0.
constexpr std::string_view kHeader =
    "t=1796400000,v1=31f8519b5051ab8163ef1a01e4525e578d3b38755fe8553fea2d3989fbab2f45";

TEST(StripeSignature, AcceptsWhatTheOfficialLibrarySigns) {
  EXPECT_EQ(stripe::sign_payload(kPayload, kSecret, 1796400000), kHeader);
  EXPECT_EQ(stripe::verify_signature(kHeader, kPayload, kSecret, 1796400000),
            stripe::Verdict::kValid);
  EXPECT_EQ(stripe::verify_signature(kHeader, kPayload, kSecret, 1796400000 + 300),
            stripe::Verdict::kValid);
}

TEST(StripeSignature, RefusesATamperedBodyAnotherSecretAndAStaleTimestamp) {
  EXPECT_EQ(
      stripe::verify_signature(kHeader, R"({"id":"evt_2","object":"event"})", kSecret, 1796400000),
      stripe::Verdict::kMismatch);
  EXPECT_EQ(stripe::verify_signature(kHeader, kPayload, "whsec_other", 1796400000),
            stripe::Verdict::kMismatch);
  EXPECT_EQ(stripe::verify_signature(kHeader, kPayload, kSecret, 1796400000 + 301),
            stripe::Verdict::kStale);
  EXPECT_EQ(stripe::verify_signature(kHeader, kPayload, kSecret, 1796400000 - 301),
            stripe::Verdict::kStale);
  // The timestamp is signed: moving it forward breaks the signature.
  auto moved = "t=1796400100" + std::string(kHeader.substr(12));
  EXPECT_EQ(stripe::verify_signature(moved, kPayload, kSecret, 1796400100),
            stripe::Verdict::kMismatch);
}

TEST(StripeSignature, AnyOfSeveralV1SignaturesMayMatch) {
  // While a secret is rolled Stripe signs with both; v0 and unknown
  // schemes are ignored.
  auto both = "t=1796400000,v1=" + std::string(64, 'a') +
              ",v0=abc,v1=" + std::string(kHeader.substr(16)) + ",x=1";
  EXPECT_EQ(stripe::verify_signature(both, kPayload, kSecret, 1796400000), stripe::Verdict::kValid);
}

TEST(StripeSignature, MalformedHeadersAreTold) {
  for (std::string_view bad :
       {"", "t=",
        "v1="
        "31f8519b5051ab8163ef1a01e4525e578d3b38755fe8553fea2d3989fbab2f45",
        "t=1796400000", "t=abc,v1=31f8519b5051ab8163ef1a01e4525e578d3b38755fe8553fea2d3989fbab2f45",
        "t=1796400000,v1=short", ",,,,=,=="})
    EXPECT_EQ(stripe::verify_signature(bad, kPayload, kSecret, 1796400000),
              stripe::Verdict::kMalformed)
        << bad;
  EXPECT_EQ(stripe::verify_signature(std::string(5000, 'x') + std::string(kHeader), kPayload,
                                     kSecret, 1796400000),
            stripe::Verdict::kMalformed);
}

TEST(StripeForm, EncodesBracketKeysAndReservedCharacters) {
  EXPECT_EQ(stripe::form_encode({{"line_items[0][price]", "price_1"},
                                 {"success_url", "https://a.example/x?y=1&z=é"}}),
            "line_items%5B0%5D%5Bprice%5D=price_1&success_url=https%3A%2F%2Fa.example%2Fx%3Fy%"
            "3D1%26z%3D%C3%A9");
}

TEST(StripeSubscription, ReadsThePeriodFromTheObjectOrItsFirstItem) {
  auto old_api = stripe::parse_subscription(
      R"({"id":"sub_1","object":"subscription","customer":"cus_1","status":"active",
          "current_period_start":1000,"current_period_end":2000,"cancel_at_period_end":true,
          "items":{"data":[{"price":{"id":"price_pro"}}]},"metadata":{"userId":"u1"}})");
  EXPECT_EQ(old_api.id, "sub_1");
  EXPECT_EQ(old_api.customer, "cus_1");
  EXPECT_EQ(old_api.status, "active");
  EXPECT_EQ(old_api.price_id, "price_pro");
  EXPECT_EQ(old_api.period_start_s, 1000);
  EXPECT_EQ(old_api.period_end_s, 2000);
  EXPECT_TRUE(old_api.cancel_at_period_end);
  EXPECT_EQ(old_api.user_id, "u1");
  auto new_api = stripe::parse_subscription(
      R"({"id":"sub_2","object":"subscription","customer":{"id":"cus_2"},"status":"past_due",
          "items":{"data":[{"price":{"id":"price_team"},"current_period_start":3000,
          "current_period_end":4000}]}})");
  EXPECT_EQ(new_api.customer, "cus_2");
  EXPECT_EQ(new_api.period_start_s, 3000);
  EXPECT_EQ(new_api.period_end_s, 4000);
  EXPECT_FALSE(new_api.user_id);
  EXPECT_THROW(stripe::parse_subscription(R"({"object":"customer","id":"cus_1"})"),
               stripe::StripeError);
  EXPECT_THROW(stripe::parse_subscription("not json"), stripe::StripeError);
}

constexpr std::uint64_t kMaxUpload = 1ull << 30;

TEST(Plans, ParsesAFileWithOneFreePlan) {
  auto plans = billing::Plans::parse(R"([
    {"id":"free","name":"Free","monthlyMinutes":30,"maxUploadBytes":1000,"retentionDays":30,
     "concurrentJobs":1,"priceId":null},
    {"id":"pro","name":"Pro","monthlyMinutes":600,"maxUploadBytes":100000,"retentionDays":365,
     "concurrentJobs":3,"maxRecordingMinutes":120,"priceId":"price_pro"}])",
                                     kMaxUpload);
  EXPECT_EQ(plans.all().size(), 2u);
  EXPECT_EQ(plans.free_plan().id, "free");
  EXPECT_EQ(plans.by_price("price_pro")->id, "pro");
  EXPECT_EQ(plans.find("pro")->max_recording_minutes, 120);
  EXPECT_EQ(plans.resolve("retired").id, "free");
  EXPECT_EQ(billing::to_json(*plans.find("pro")).at("priceId").as_string(), "price_pro");
  EXPECT_TRUE(billing::to_json(plans.free_plan()).at("priceId").is_null());
}

TEST(Plans, RefusesFilesThatAreWrongWithTheReason) {
  auto reason = [](std::string_view text) {
    try {
      billing::Plans::parse(text, kMaxUpload);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string free_plan =
      R"({"id":"free","name":"Free","monthlyMinutes":30,"maxUploadBytes":1000,"retentionDays":30,"concurrentJobs":1,"priceId":null})";
  EXPECT_NE(reason("[]").find("non-empty"), std::string::npos);
  EXPECT_NE(reason("{").find("not JSON"), std::string::npos);
  EXPECT_NE(reason("[" + free_plan + "," + free_plan + "]").find("repeats"), std::string::npos);
  EXPECT_NE(
      reason(
          R"([{"id":"p","name":"P","monthlyMinutes":30,"maxUploadBytes":1000,"retentionDays":30,"concurrentJobs":1,"priceId":"price_1"}])")
          .find("exactly one plan must be free"),
      std::string::npos);
  EXPECT_NE(
      reason(
          R"([{"id":"free","name":"Free","monthlyMinutes":-1,"maxUploadBytes":1000,"retentionDays":30,"concurrentJobs":1,"priceId":null}])")
          .find("monthlyMinutes"),
      std::string::npos);
  EXPECT_NE(
      reason(
          R"([{"id":"free","name":"Free","monthlyMinutes":1,"maxUploadBytes":1000,"retentionDays":30,"concurrentJobs":1,"priceId":null,"colour":"red"}])")
          .find("colour"),
      std::string::npos);
  EXPECT_NE(
      reason(
          R"([{"id":"free","name":"Free","monthlyMinutes":1,"retentionDays":30,"concurrentJobs":1,"priceId":null}])")
          .find("maxUploadBytes"),
      std::string::npos);
  EXPECT_NE(
      reason(
          R"([{"id":"free","name":"Free","monthlyMinutes":1,"maxUploadBytes":99999999999,"retentionDays":30,"concurrentJobs":1,"priceId":null}])")
          .find("--max-upload-size"),
      std::string::npos);
}

TEST(Metering, CalendarMonthsAndPeriodsInForce) {
  // 2026-12-04T21:00:00Z
  auto m = billing::calendar_month(1796418000000);
  EXPECT_EQ(m.start_ms, 1796083200000);  // 2026-12-01
  EXPECT_EQ(m.end_ms, 1798761600000);    // 2027-01-01
  billing::StoredSubscription paid{.user_id = "u",
                                   .plan_id = "pro",
                                   .status = "active",
                                   .subscription_id = "sub_1",
                                   .period_start_ms = 1796000000000,
                                   .period_end_ms = 1798000000000};
  auto p = billing::period_of(paid, 1796418000000);
  EXPECT_EQ(p.start_ms, 1796000000000);
  EXPECT_EQ(p.end_ms, 1798000000000);
  // Past its end (a renewal not heard of yet) or ended: calendar months.
  EXPECT_EQ(billing::period_of(paid, 1798000000000).start_ms,
            billing::calendar_month(1798000000000).start_ms);
  paid.status = "canceled";
  EXPECT_EQ(billing::period_of(paid, 1796418000000).start_ms, m.start_ms);
}

TEST(Metering, ARecordingCountsWholeMinutesAtLeastOne) {
  EXPECT_EQ(billing::BillingService::minutes_of(0), 1);
  EXPECT_EQ(billing::BillingService::minutes_of(1), 1);
  EXPECT_EQ(billing::BillingService::minutes_of(60'000), 1);
  EXPECT_EQ(billing::BillingService::minutes_of(60'001), 2);
  EXPECT_EQ(billing::BillingService::minutes_of(3'600'000), 60);
}

TEST(JobOwner, IsThePayloadsUserId) {
  EXPECT_EQ(queue::owner_of(R"({"interviewId":"i","userId":"0193-ab","runId":"r"})"), "0193-ab");
  EXPECT_FALSE(queue::owner_of(R"({"interviewId":"i"})"));
  EXPECT_FALSE(queue::owner_of(R"({"userId":""})"));
  EXPECT_FALSE(queue::owner_of(R"({"userId":"a\"b"})"));
  EXPECT_FALSE(queue::owner_of(R"({"userId":"unterminated)"));
}

}  // namespace
}  // namespace companion
