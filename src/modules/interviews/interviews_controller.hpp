#pragma once
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include "infra/http/router.hpp"
#include "modules/interviews/interviews_service.hpp"

namespace companion::interviews {

// /v1/interviews and /v1/interviews/{id}
void add_routes(http::Router& router, InterviewsService& service);

// The JSON forms of interviews (contract §Interviews) and their validation;
// the uploads and transcription controllers answer with to_json too.
NewInterview parse_new_interview(const boost::json::value& body);
InterviewPatch parse_interview_patch(const boost::json::value& body);
// POST …/reanalyze: {"jobDescription"?}; absent keeps it, null clears it.
Patch<std::string> parse_reanalysis(const boost::json::value& body);
// `storage` holds the value (a response's arena: one allocation for the
// whole answer instead of one per field).
boost::json::value to_json(const Interview& i, boost::json::storage_ptr storage = {});

// The interview id of a `/v1/interviews/{id}...` path, lowercased. A path id
// that is not a UUID names nothing: NotFound, like an unknown one.
std::string interview_id(const http::Request& req);

}  // namespace companion::interviews
