#pragma once
// JSON text for responses: as boost::json::serialize, but a double is
// written as the shortest decimal that reads back the same ("7.748", not
// "7.748E0"), which is what people and most clients expect.
#include <boost/json/value.hpp>

#include <string>

namespace companion::http {

std::string to_json_text(const boost::json::value& value);

}  // namespace companion::http
