// What sealing personal fields costs the read routes, on the path they run
// (the repositories, on SQLite in a temp dir, in a read lease):
//   sealed     the row as written now (fields sealed with the user's key);
//   plaintext  the same row as written before sealing (read as it is: the
//              key is still looked up, nothing is decrypted);
//   key        the key lookup alone (a primary-key read of user_keys and
//              unwrapping it with the master key).
// The read before sealing existed costs `plaintext` minus `key`.
// The transcript is 64 minutes (the analysis benchmark's), the analysis is
// the engine's body for it; the list is a page of 20 interviews.
//   build/companion_bench --benchmark_filter=Sealed
#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "../tests/unit/analysis_fixtures.hpp"
#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/migrations.hpp"
#include "infra/embedded/embedded_files.hpp"
#include "modules/analysis/analyses_repository.hpp"
#include "modules/analysis/engine.hpp"
#include "modules/interviews/interviews_repository.hpp"
#include "modules/transcription/transcripts_repository.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/users/users_repository.hpp"

namespace {
using namespace companion;

// One SQLite database with two users' rows: one sealed, one as written
// before sealing (the fields overwritten with their plaintext).
struct World {
  World() : dir(std::filesystem::temp_directory_path() / ("sealed-bench-" + ids.next())) {
    std::filesystem::create_directories(dir);
    db::DatabaseSettings settings;
    settings.url = "sqlite:" + (dir / "bench.db").string();
    database = db::open_database(settings, pool);
    db::migrate(*database, db::migrations_for(db::Dialect::kSqlite, embedded::migrations()));
    keys = std::make_unique<users::DataKeys>(*database, crypto::random_bytes(32), clock);
    interviews.emplace(*keys);
    transcripts.emplace(*keys);
    analyses.emplace(*keys);

    const auto script = analysis::fixtures::behavioural_interview();
    analysis::fixtures::Script hour{{}, script.seconds_per_word};
    while (hour.lines.size() < 17 * script.lines.size())
      for (const auto& line : script.lines) hour.lines.push_back(line);
    auto transcript = analysis::fixtures::build(hour);
    auto body = boost::json::serialize(analysis::to_json(
        analysis::analyse(transcript, analysis::fixtures::backend_job_description())));

    for (auto* who : {&sealed, &plain}) {
      auto fn = [&](db::Connection& c) {
        who->user = ids.next();
        users::UsersRepository(*keys).insert(
            c, {who->user, who->user + "@example.com", "Bench", "hash", clock.now_ms()},
            who->user + "@example.com");
        for (int k = 0; k < 20; ++k) {
          interviews::Interview i;
          i.id = ids.next();
          i.user_id = who->user;
          i.title = "Interview " + std::to_string(k) + " at Acme";
          i.company = "Acme";
          i.role = "Backend engineer";
          i.job_description = analysis::fixtures::backend_job_description();
          i.created_at_ms = i.updated_at_ms = clock.now_ms() + k;
          interviews->insert(c, i);
          who->interview = i.id;
        }
        transcription::Transcript t = transcript;
        t.interview_id = who->interview;
        t.recording_id = "rec";
        t.engine = "bench";
        t.language = "en-US";
        transcripts->save(c, who->user, t);
        analyses->save(c, who->user, {who->interview, 1, body, clock.now_ms()});
        if (who == &plain) {
          c.execute(
              "UPDATE interviews SET title = 'Interview at Acme', company = 'Acme', "
              "role = 'Backend engineer', job_description = $2 WHERE user_id = $1",
              {who->user, analysis::fixtures::backend_job_description()});
          c.execute(
              "UPDATE transcripts SET speakers = $2, segments = $3 WHERE interview_id = $1",
              {who->interview, boost::json::serialize(transcription::speakers_json(t.speakers)),
               boost::json::serialize(transcription::segments_json(t.segments))});
          c.execute("UPDATE analyses SET body = $2 WHERE interview_id = $1",
                    {who->interview, body});
        }
      };
      database->transact(fn);
    }
  }
  ~World() {
    analyses.reset();
    transcripts.reset();
    interviews.reset();
    keys.reset();
    database.reset();
    std::filesystem::remove_all(dir);
  }

  struct Owner {
    std::string user, interview;
  };
  const Owner& owner(const benchmark::State& state) const {
    return state.range(0) ? sealed : plain;
  }

  SystemClock clock;
  crypto::UuidV7Generator ids{clock};
  std::filesystem::path dir;
  async::BlockingPool pool{1};
  std::unique_ptr<db::Database> database;
  std::unique_ptr<users::DataKeys> keys;
  std::optional<interviews::InterviewsRepository> interviews;
  std::optional<transcription::TranscriptsRepository> transcripts;
  std::optional<analysis::AnalysesRepository> analyses;
  Owner sealed, plain;
};

World& world() {
  static World w;  // built once for every benchmark of this file
  return w;
}

void label(benchmark::State& state) {
  state.SetLabel(state.range(0) ? "sealed" : "plaintext");
}

void BM_SealedTranscriptRead(benchmark::State& state) {
  auto& w = world();
  const auto& o = w.owner(state);
  for (auto _ : state) {
    auto c = w.database->acquire(db::Access::kRead);
    benchmark::DoNotOptimize(w.transcripts->find(*c, o.user, o.interview));
  }
  auto c = w.database->acquire(db::Access::kRead);
  state.counters["stored_kb"] =
      static_cast<double>(
          c->query_one("SELECT LENGTH(segments) FROM transcripts WHERE interview_id = $1",
                       {o.interview})
              ->int64(0)) /
      1024;
  label(state);
}
BENCHMARK(BM_SealedTranscriptRead)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_SealedAnalysisRead(benchmark::State& state) {
  auto& w = world();
  const auto& o = w.owner(state);
  for (auto _ : state) {
    auto c = w.database->acquire(db::Access::kRead);
    benchmark::DoNotOptimize(w.analyses->find(*c, o.user, o.interview));
  }
  label(state);
}
BENCHMARK(BM_SealedAnalysisRead)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

void BM_SealedInterviewFind(benchmark::State& state) {
  auto& w = world();
  const auto& o = w.owner(state);
  for (auto _ : state) {
    auto c = w.database->acquire(db::Access::kRead);
    benchmark::DoNotOptimize(w.interviews->find(*c, o.user, o.interview));
  }
  label(state);
}
BENCHMARK(BM_SealedInterviewFind)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

void BM_SealedInterviewList20(benchmark::State& state) {
  auto& w = world();
  const auto& o = w.owner(state);
  for (auto _ : state) {
    auto c = w.database->acquire(db::Access::kRead);
    benchmark::DoNotOptimize(w.interviews->list(*c, o.user, std::nullopt, 20));
  }
  label(state);
}
BENCHMARK(BM_SealedInterviewList20)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

void BM_SealedKeyLookup(benchmark::State& state) {
  auto& w = world();
  for (auto _ : state) {
    auto c = w.database->acquire(db::Access::kRead);
    benchmark::DoNotOptimize(w.keys->fields_for_reading_in(*c, w.sealed.user));
  }
}
BENCHMARK(BM_SealedKeyLookup)->Unit(benchmark::kMicrosecond);

}  // namespace

namespace {
// Opening one sealed value of N bytes alone: decoding and decrypting.
void BM_SealedOpen(benchmark::State& state) {
  users::FieldSeal seal(companion::crypto::random_bytes(32));
  std::string text(static_cast<std::size_t>(state.range(0)), 'w');
  auto stored = seal.seal("transcripts.segments", "row", text);
  for (auto _ : state) benchmark::DoNotOptimize(seal.open("transcripts.segments", "row", stored));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SealedOpen)->Arg(32)->Arg(1 << 10)->Arg(1 << 21)->Unit(benchmark::kMicrosecond);
}  // namespace
