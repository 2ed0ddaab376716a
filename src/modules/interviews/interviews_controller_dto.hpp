#pragma once
// The JSON forms of interviews (contract §Interviews) and their validation:
// the controllers' side (the uploads and transcription controllers use them too).
#include <boost/json/value.hpp>

#include "modules/interviews/interview.hpp"

namespace companion::interviews {

NewInterview parse_new_interview(const boost::json::value& body);
InterviewPatch parse_interview_patch(const boost::json::value& body);
boost::json::value to_json(const Interview& i);

}  // namespace companion::interviews
