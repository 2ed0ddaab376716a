// Billing's metering and quotas against a real database (both dialects):
// the saga's steps are idempotent by job, a reservation never takes more
// than the plan has left (also when several race on PostgreSQL), uploads
// are refused over the plan's minutes, size or concurrent recordings, and
// usage counts in the current period only. Stripe's side is end to end
// (tests/e2e/billing.test.mjs).
#include <gtest/gtest.h>

#include <thread>

#include "infra/http_client/http_client.hpp"
#include "infra/stripe/stripe_client.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/billing/billing_repository.hpp"
#include "modules/billing/billing_service.hpp"
#include "modules/privacy/retention_repository.hpp"
#include "support/recordings_fixture.hpp"

namespace companion::billing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPlans = R"([
  {"id":"free","name":"Free","monthlyMinutes":5,"maxUploadBytes":200000,"retentionDays":30,
   "concurrentJobs":1,"maxRecordingMinutes":3,"priceId":null},
  {"id":"pro","name":"Pro","monthlyMinutes":500,"maxUploadBytes":1000000,"retentionDays":365,
   "concurrentJobs":4,"priceId":"price_pro"}])";

class BillingTest : public test_support::RecordingsFixture {
 protected:
  void SetUp() override {
    RecordingsFixture::SetUp();
    if (HasFatalFailure()) return;
    audit_ = std::make_unique<audit::AuditLog>(database(), std::string(32, 'a'), clock_);
    billing_ = std::make_unique<BillingService>(BillingSettings{}, Plans::parse(kPlans, 1ull << 30),
                                                database(), clock_, *audit_, *interviews_, *outbox_,
                                                StripeDeps{stripe_, stripe_pool_}, logger_);
  }
  void TearDown() override {
    billing_.reset();
    RecordingsFixture::TearDown();
  }

  std::int64_t used() { return run(billing_->subscription(user_)).used_minutes; }
  template <class F>
  auto in_transaction(F f) {
    return database().transact(f);
  }
  void reserve(const std::string& job, std::int64_t duration_ms) {
    in_transaction(
        [&](db::Connection& c) { billing_->reserve_in(c, job, user_, interview_, duration_ms); });
  }
  std::int64_t audited(const std::string& action) {
    return database()
        .acquire(db::Access::kRead)
        ->query_one("SELECT COUNT(*) FROM audit_log WHERE action = $1", {action})
        ->int64(0);
  }

  http_client::HttpClient http_{{}, clock_};
  stripe::StripeClient stripe_{{}, http_};  // no key: Stripe is not called here
  async::BlockingPool stripe_pool_{1};
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<BillingService> billing_;
};

TEST_P(BillingTest, EachStepOfTheSagaCountsOncePerJob) {
  reserve("job-1", 90'000);  // 2 minutes
  reserve("job-1", 90'000);  // redelivered: nothing more
  EXPECT_EQ(used(), 2);
  in_transaction([&](db::Connection& c) { billing_->commit_in(c, "job-1"); });
  in_transaction([&](db::Connection& c) { billing_->commit_in(c, "job-1"); });
  in_transaction([&](db::Connection& c) { billing_->release_in(c, "job-1"); });  // too late
  EXPECT_EQ(used(), 2);
  reserve("job-2", 60'000);
  EXPECT_EQ(used(), 3);
  in_transaction([&](db::Connection& c) { billing_->release_in(c, "job-2"); });
  in_transaction([&](db::Connection& c) { billing_->release_in(c, "job-2"); });
  in_transaction([&](db::Connection& c) { billing_->commit_in(c, "job-2"); });  // released stays
  reserve("job-2", 60'000);  // a replay of the start after the release
  EXPECT_EQ(used(), 2);
  EXPECT_EQ(audited("billing.usage_reserved"), 2);
  EXPECT_EQ(audited("billing.usage_committed"), 1);
  EXPECT_EQ(audited("billing.usage_released"), 1);
  EXPECT_FALSE(audit::AuditLog::verify(database()).broken_at);
}

TEST_P(BillingTest, AReservationOverWhatIsLeftIsRefusedAndTakesNothing) {
  reserve("job-1", 3 * 60'000);
  try {
    reserve("job-2", 3 * 60'000);
    FAIL() << "reserved past the plan";
  } catch (const QuotaExceeded& e) {
    EXPECT_EQ(e.limit(), 5);
    EXPECT_EQ(e.used(), 3);
    EXPECT_NE(e.detail().find("2 minutes of the Free plan's 5 minutes are left"), std::string::npos)
        << e.detail();
  }
  EXPECT_EQ(used(), 3);
  // Longer than the plan processes at all.
  EXPECT_THROW(reserve("job-3", 4 * 60'000), QuotaExceeded);
  reserve("job-4", 2 * 60'000);  // exactly what is left
  EXPECT_EQ(used(), 5);
  // The limit is reached: the user is told once, through the outbox.
  auto notices = database()
                     .acquire(db::Access::kRead)
                     ->query("SELECT payload FROM outbox_events WHERE topic = 'billing.notice'");
  ASSERT_EQ(notices.size(), 1u);  // from 3 to 5: "all used", not "80 % used" as well
  EXPECT_NE(notices[0].text(0).find("billing.usage_limit"), std::string::npos);
  EXPECT_NE(notices[0].text(0).find("used all"), std::string::npos);
  // Given back and taken again: the user was told already this period.
  in_transaction([&](db::Connection& c) { billing_->release_in(c, "job-4"); });
  reserve("job-5", 2 * 60'000);
  EXPECT_EQ(database()
                .acquire(db::Access::kRead)
                ->query_one("SELECT COUNT(*) FROM outbox_events WHERE topic = 'billing.notice'")
                ->int64(0),
            1);
}

TEST_P(BillingTest, ConcurrentReservationsNeverTakeMoreThanThePlan) {
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      try {
        reserve("job-" + std::to_string(i), 2 * 60'000);
      } catch (const QuotaExceeded&) {
        ++refused;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), 4);
  EXPECT_EQ(used(), 4);
}

TEST_P(BillingTest, UploadsAreAdmittedByMinutesSizeAndRecordingsInProcessing) {
  recordings_->set_metering(billing_.get());
  // Over the plan's size: refused before a byte is read.
  uploads::NewRecording big{user_,        interview_, uploads::Consent::kSelfOnly,
                            std::nullopt, {},         300'000};
  try {
    run(recordings_->store(std::move(big), pieces(wav_)));
    FAIL() << "accepted a file over the plan's size";
  } catch (const QuotaExceeded& e) {
    EXPECT_EQ(e.limit(), 200'000);
    EXPECT_EQ(e.used(), 300'000);
  }
  uploads::NewRecording first{user_,        interview_, uploads::Consent::kSelfOnly,
                              std::nullopt, {},         wav_.size()};
  EXPECT_EQ(run(recordings_->store(std::move(first), pieces(wav_))).status,
            interviews::Status::kUploaded);
  // The plan allows one recording waiting or in processing.
  auto second = run(interviews_->create(user_, {"Second"})).id;
  try {
    uploads::NewRecording next{user_,        second, uploads::Consent::kSelfOnly,
                               std::nullopt, {},     wav_.size()};
    run(recordings_->store(std::move(next), pieces(wav_)));
    FAIL() << "accepted a second recording in processing";
  } catch (const QuotaExceeded& e) {
    EXPECT_EQ(e.limit(), 1);
    EXPECT_EQ(e.used(), 1);
  }
  // Replacing the recording being waited on is not a second one.
  uploads::NewRecording again{user_,        interview_, uploads::Consent::kSelfOnly,
                              std::nullopt, {},         wav_.size()};
  EXPECT_NO_THROW(run(recordings_->store(std::move(again), pieces(wav_))));
  // The period's minutes used up: nothing more is taken.
  reserve("job-1", 3 * 60'000);
  reserve("job-2", 2 * 60'000);
  in_transaction([&](db::Connection& c) {
    EXPECT_THROW(billing_->admit_upload_in(c, user_, second, 1000), QuotaExceeded);
  });
}

TEST_P(BillingTest, UsageCountsInTheCurrentCalendarMonth) {
  reserve("job-1", 2 * 60'000);
  EXPECT_EQ(used(), 2);
  auto view = run(billing_->subscription(user_));
  EXPECT_EQ(view.plan.id, "free");
  EXPECT_EQ(view.stored.status, "active");
  EXPECT_LE(view.period.start_ms, clock_.now_ms());
  EXPECT_GT(view.period.end_ms, clock_.now_ms());
  clock_.advance(std::chrono::milliseconds(view.period.end_ms - clock_.now_ms()));
  EXPECT_EQ(used(), 0);  // a new month
}

// The plan's retention ceiling reaches the sweeper's query: the free
// plan's 30 days, a paid plan's 365, and a user's shorter choice wins.
TEST_P(BillingTest, TheRetentionSweepKeepsDataNoLongerThanThePlanAllows) {
  billing_->publish_plans();
  uploads::NewRecording input{user_, interview_, uploads::Consent::kSelfOnly, std::nullopt};
  run(recordings_->store(std::move(input), pieces(wav_)));
  const std::int64_t day = 86'400'000;
  auto expired_after = [&](std::int64_t days) {
    auto conn = database().acquire(db::Access::kRead);
    privacy::RetentionRepository retention;
    return !retention.expired_recordings(*conn, clock_.now_ms() + days * day, std::nullopt, 10)
                .empty();
  };
  EXPECT_FALSE(expired_after(29));
  EXPECT_TRUE(expired_after(31));  // the free plan: 30 days
  in_transaction([&](db::Connection& c) {
    BillingRepository repository;
    auto s = *repository.ensure(c, user_, "free", clock_.now_ms());
    s.plan_id = "pro";
    repository.update(c, s);
  });
  EXPECT_FALSE(expired_after(31));
  EXPECT_TRUE(expired_after(366));  // the paid plan: 365 days
  in_transaction([&](db::Connection& c) {
    c.execute("UPDATE users SET retention_recording_days = 7 WHERE id = $1", {user_});
  });
  EXPECT_TRUE(expired_after(8));
}

INSTANTIATE_TEST_SUITE_P(Databases, BillingTest, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion::billing
