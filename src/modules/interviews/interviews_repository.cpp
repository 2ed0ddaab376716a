#include "modules/interviews/interviews_repository.hpp"

namespace companion::interviews {
namespace {

#define INTERVIEW_COLUMNS                                                                  \
  "id, user_id, title, company, role, job_description, status, scheduled_at, created_at, " \
  "updated_at, recording, failure, run_id, finished_stage, progress, purged"

constexpr const char* kInsert =
    "INSERT INTO interviews (" INTERVIEW_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
constexpr const char* kSelectOne =
    "SELECT " INTERVIEW_COLUMNS " FROM interviews WHERE id = $1 AND user_id = $2";
constexpr const char* kSelectById = "SELECT " INTERVIEW_COLUMNS " FROM interviews WHERE id = $1";
// Read-modify-write on PostgreSQL: the row stays locked until commit, so a
// cancel and a stage change cannot overwrite each other. (SQLite's write
// transactions are already one at a time.)
constexpr const char* kSelectOneForUpdate =
    "SELECT " INTERVIEW_COLUMNS " FROM interviews WHERE id = $1 AND user_id = $2 FOR UPDATE";
constexpr const char* kSelectByIdForUpdate =
    "SELECT " INTERVIEW_COLUMNS " FROM interviews WHERE id = $1 FOR UPDATE";
constexpr const char* kSelectFirstPage = "SELECT " INTERVIEW_COLUMNS
                                         " FROM interviews WHERE user_id = $1 "
                                         "ORDER BY created_at DESC, id DESC LIMIT $2";
// Rows strictly after the cursor in (created_at DESC, id DESC) order.
constexpr const char* kSelectPageAfter = "SELECT " INTERVIEW_COLUMNS
                                         " FROM interviews WHERE user_id = $1 "
                                         "AND (created_at < $3 OR (created_at = $3 AND id < $4)) "
                                         "ORDER BY created_at DESC, id DESC LIMIT $2";
constexpr const char* kCountInProcessing =
    "SELECT COUNT(*) FROM interviews WHERE user_id = $1 AND id <> $2 "
    "AND status IN ('uploaded', 'transcribing', 'analyzing')";
constexpr const char* kUpdate =
    "UPDATE interviews SET title = $3, company = $4, role = $5, job_description = $6, "
    "status = $7, scheduled_at = $8, updated_at = $9, recording = $10, failure = $11, "
    "run_id = $12, finished_stage = $13, progress = $14, purged = $15 "
    "WHERE id = $1 AND user_id = $2";
// For an account being erased (its key is gone): everything but the
// personal fields, which nobody can change any more.
constexpr const char* kUpdateState =
    "UPDATE interviews SET status = $3, scheduled_at = $4, updated_at = $5, recording = $6, "
    "failure = $7, run_id = $8, finished_stage = $9, progress = $10, purged = $11 "
    "WHERE id = $1 AND user_id = $2";
// A progress tick: only while the run is current and in the stage's status
// (a cancelled or superseded run sees 0 rows and stops).
constexpr const char* kProgress =
    "UPDATE interviews SET progress = $4 WHERE id = $1 AND run_id = $2 AND status = $3 "
    "RETURNING user_id";
constexpr const char* kDelete = "DELETE FROM interviews WHERE id = $1 AND user_id = $2";
constexpr const char* kIdsOfUser = "SELECT id FROM interviews WHERE user_id = $1 LIMIT $2";

#undef INTERVIEW_COLUMNS

Interview from_row(const db::Row& r, const users::FieldSeal& seal) {
  Interview i;
  i.id = r.text(0);
  i.user_id = r.text(1);
  i.title = seal.open("interviews.title", i.id, r.text(2));
  i.company = seal.open_optional("interviews.company", i.id, r.optional_text(3));
  i.role = seal.open_optional("interviews.role", i.id, r.optional_text(4));
  i.job_description = seal.open_optional("interviews.job_description", i.id, r.optional_text(5));
  i.status = status_from_string(r.text(6));
  i.scheduled_at_ms = r.optional_int64(7);
  i.created_at_ms = r.int64(8);
  i.updated_at_ms = r.int64(9);
  i.recording_json = r.optional_text(10);
  i.failure_json = r.optional_text(11);
  i.run_id = r.optional_text(12);
  i.finished_stage = r.optional_text(13);
  i.progress_json = r.optional_text(14);
  i.purged_json = r.optional_text(15);
  return i;
}

struct SealedText {
  std::string title;
  std::optional<std::string> company, role, job_description;
};

SealedText sealed(const Interview& i, const users::FieldSeal& seal) {
  return {seal.seal("interviews.title", i.id, i.title),
          seal.seal_optional("interviews.company", i.id, i.company),
          seal.seal_optional("interviews.role", i.id, i.role),
          seal.seal_optional("interviews.job_description", i.id, i.job_description)};
}

}  // namespace

void InterviewsRepository::insert(db::Connection& c, const Interview& i) {
  auto s = sealed(i, keys_.fields_for_writing_in(c, i.user_id));
  c.execute(kInsert,
            {i.id, i.user_id, s.title, s.company, s.role, s.job_description, to_string(i.status),
             i.scheduled_at_ms, i.created_at_ms, i.updated_at_ms, i.recording_json, i.failure_json,
             i.run_id, i.finished_stage, i.progress_json, i.purged_json});
}

std::optional<Interview> InterviewsRepository::find(db::Connection& c, const std::string& user_id,
                                                    const std::string& id, Lock lock) {
  const bool for_update = lock == Lock::kForUpdate && c.dialect() == db::Dialect::kPostgres;
  auto row = c.query_one(for_update ? kSelectOneForUpdate : kSelectOne, {id, user_id});
  if (!row) return std::nullopt;
  return from_row(*row, keys_.fields_for_reading_in(c, user_id));
}

Page InterviewsRepository::list(db::Connection& c, const std::string& user_id,
                                const std::optional<Cursor>& after, int limit) {
  auto rows = after
                  ? c.query(kSelectPageAfter, {user_id, limit + 1, after->created_at_ms, after->id})
                  : c.query(kSelectFirstPage, {user_id, limit + 1});
  Page page;
  if (rows.empty()) return page;
  auto seal = keys_.fields_for_reading_in(c, user_id);
  for (std::size_t k = 0; k < rows.size() && k < std::size_t(limit); ++k)
    page.items.push_back(from_row(rows[k], seal));
  if (rows.size() > std::size_t(limit))
    page.next = Cursor{page.items.back().created_at_ms, page.items.back().id};
  return page;
}

void InterviewsRepository::update(db::Connection& c, const Interview& i) {
  auto seal = keys_.live_fields_for_writing_in(c, i.user_id);
  if (!seal) {
    c.execute(kUpdateState, {i.id, i.user_id, to_string(i.status), i.scheduled_at_ms,
                             i.updated_at_ms, i.recording_json, i.failure_json, i.run_id,
                             i.finished_stage, i.progress_json, i.purged_json});
    return;
  }
  auto s = sealed(i, *seal);
  c.execute(kUpdate, {i.id, i.user_id, s.title, s.company, s.role, s.job_description,
                      to_string(i.status), i.scheduled_at_ms, i.updated_at_ms, i.recording_json,
                      i.failure_json, i.run_id, i.finished_stage, i.progress_json, i.purged_json});
}

std::optional<Interview> InterviewsRepository::find_by_id(db::Connection& c, const std::string& id,
                                                          Lock lock) {
  const bool for_update = lock == Lock::kForUpdate && c.dialect() == db::Dialect::kPostgres;
  auto row = c.query_one(for_update ? kSelectByIdForUpdate : kSelectById, {id});
  if (!row) return std::nullopt;
  return from_row(*row, keys_.fields_for_reading_in(c, row->text(1)));
}

std::optional<std::string> InterviewsRepository::update_progress(db::Connection& c,
                                                                 const std::string& id,
                                                                 const std::string& run_id,
                                                                 Status status,
                                                                 const std::string& progress_json) {
  auto row = c.query_one(kProgress, {id, run_id, to_string(status), progress_json});
  if (!row) return std::nullopt;
  return row->text(0);
}

bool InterviewsRepository::remove(db::Connection& c, const std::string& user_id,
                                  const std::string& id) {
  return c.execute(kDelete, {id, user_id}) == 1;
}

std::vector<std::string> InterviewsRepository::ids_of_user(db::Connection& c,
                                                           const std::string& user_id, int limit) {
  std::vector<std::string> out;
  for (const auto& row : c.query(kIdsOfUser, {user_id, limit})) out.push_back(row.text(0));
  return out;
}

std::int64_t InterviewsRepository::count_in_processing(db::Connection& c,
                                                       const std::string& user_id,
                                                       const std::string& except) {
  return c.query_one(kCountInProcessing, {user_id, except})->int64(0);
}

}  // namespace companion::interviews
