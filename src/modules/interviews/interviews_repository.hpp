#pragma once
#include <optional>
#include <string>

#include "infra/db/database.hpp"
#include "modules/interviews/interview.hpp"

namespace companion::interviews {

class InterviewsRepository {
 public:
  void insert(db::Connection& c, const Interview& i);
  std::optional<Interview> find(db::Connection& c, const std::string& user_id,
                                const std::string& id);
  // `limit + 1` rows are read to know whether another page follows.
  Page list(db::Connection& c, const std::string& user_id, const std::optional<Cursor>& after,
            int limit);
  void update(db::Connection& c, const Interview& i);
  bool remove(db::Connection& c, const std::string& user_id, const std::string& id);
};

}  // namespace companion::interviews
