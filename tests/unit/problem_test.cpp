#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>
#include <string>

#include "infra/errors/errors.hpp"
#include "infra/http/problem.hpp"

namespace companion::http {
namespace {

namespace json = boost::json;

json::object body_of(const Response& res) {
  auto v = json::parse(res.body());
  EXPECT_TRUE(v.is_object()) << res.body();
  return v.as_object();
}

std::string header(const Response& res, bhttp::field f) {
  auto it = res.find(f);
  return it == res.end() ? "" : std::string(it->value());
}

struct KindCase {
  ErrorKind kind;
  int status;
  const char* type;
  const char* title;
};
void PrintTo(const KindCase& c, std::ostream* os) {
  *os << c.status << " " << c.type;
}

class ProblemKinds : public ::testing::TestWithParam<KindCase> {};

TEST_P(ProblemKinds, StatusTypeTitleDetailAndInstance) {
  const auto& c = GetParam();
  ClientError error(c.kind, "What the client may read.");
  auto res = problem_response(error, "/v1/interviews/42");
  EXPECT_EQ(res.result_int(), static_cast<unsigned>(c.status));
  EXPECT_EQ(header(res, bhttp::field::content_type), "application/problem+json");
  EXPECT_EQ(header(res, bhttp::field::content_length), std::to_string(res.body().size()));
  auto body = body_of(res);
  EXPECT_EQ(body.at("type").as_string(), c.type);
  EXPECT_EQ(body.at("title").as_string(), c.title);
  EXPECT_EQ(body.at("status").to_number<int>(), c.status);
  EXPECT_EQ(body.at("detail").as_string(), "What the client may read.");
  EXPECT_EQ(body.at("instance").as_string(), "/v1/interviews/42");
  EXPECT_FALSE(body.contains("errors")) << "errors[] is only for validation failures";
  EXPECT_EQ(body.size(), 5u) << res.body();
  EXPECT_EQ(header(res, bhttp::field::retry_after), "");
  EXPECT_EQ(header(res, bhttp::field::allow), "");
  if (c.status == 401) {
    EXPECT_EQ(header(res, bhttp::field::www_authenticate).rfind("Bearer", 0), 0u);
  } else {
    EXPECT_EQ(header(res, bhttp::field::www_authenticate), "");
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, ProblemKinds,
    ::testing::Values(
        KindCase{ErrorKind::kBadRequest, 400, "/problems/bad-request", "Bad request"},
        KindCase{ErrorKind::kUnauthorized, 401, "/problems/unauthorized", "Unauthorized"},
        KindCase{ErrorKind::kPaymentRequired, 402, "/problems/quota-exceeded", "Quota exceeded"},
        KindCase{ErrorKind::kForbidden, 403, "/problems/forbidden", "Forbidden"},
        KindCase{ErrorKind::kNotFound, 404, "/problems/not-found", "Not found"},
        KindCase{ErrorKind::kConflict, 409, "/problems/conflict", "Conflict"},
        KindCase{ErrorKind::kGone, 410, "/problems/gone", "Gone"},
        KindCase{ErrorKind::kTooLarge, 413, "/problems/payload-too-large", "Payload too large"},
        KindCase{ErrorKind::kUnsupportedMedia, 415, "/problems/unsupported-media-type",
                 "Unsupported media type"},
        KindCase{ErrorKind::kUnprocessable, 422, "/problems/unprocessable",
                 "Unprocessable request"},
        KindCase{ErrorKind::kHeadersTooLarge, 431, "/problems/headers-too-large",
                 "Request header fields too large"},
        KindCase{ErrorKind::kUnavailable, 503, "/problems/unavailable", "Service unavailable"}),
    [](const ::testing::TestParamInfo<KindCase>& info) {
      return std::to_string(info.param.status) + "_" + std::to_string(info.index);
    });

TEST(Problem, TypesAreDistinctRelativeUris) {
  std::set<std::string> types;
  for (int k = 0; k <= static_cast<int>(ErrorKind::kUnavailable); ++k) {
    auto res = problem_response(ClientError(static_cast<ErrorKind>(k), "d"), "/x");
    auto type = std::string(body_of(res).at("type").as_string());
    EXPECT_EQ(type.rfind("/problems/", 0), 0u) << type;
    EXPECT_NE(res.result_int(), 500u) << "kind " << k << " has no mapping";
    types.insert(type);
  }
  EXPECT_EQ(types.size(), static_cast<std::size_t>(ErrorKind::kUnavailable) + 1);
}

TEST(Problem, SubclassesMapLikeTheirKind) {
  EXPECT_EQ(problem_response(NotFound(), "/a").result_int(), 404u);
  EXPECT_EQ(problem_response(Unauthorized(), "/a").result_int(), 401u);
  EXPECT_EQ(problem_response(Conflict("taken"), "/a").result_int(), 409u);
  EXPECT_EQ(problem_response(TooLarge("big"), "/a").result_int(), 413u);
  EXPECT_EQ(problem_response(UnsupportedMedia("xml"), "/a").result_int(), 415u);
  EXPECT_EQ(problem_response(Unprocessable("no"), "/a").result_int(), 422u);
  EXPECT_EQ(problem_response(Unavailable("busy"), "/a").result_int(), 503u);
  EXPECT_EQ(problem_response(BadRequest("bad"), "/a").result_int(), 400u);
}

TEST(Problem, ValidationErrorListsEveryFieldInOrder) {
  ValidationError error(std::vector<FieldError>{{"title", "must not be empty"},
                                                {"scheduledAt", "must be RFC 3339"},
                                                {"extra", "is not a known field"}});
  auto res = problem_response(error, "/v1/interviews");
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(header(res, bhttp::field::content_type), "application/problem+json");
  auto body = body_of(res);
  EXPECT_EQ(body.at("type").as_string(), "/problems/validation");
  EXPECT_EQ(body.at("title").as_string(), "Validation failed");
  EXPECT_EQ(body.at("status").to_number<int>(), 400);
  EXPECT_EQ(body.at("detail").as_string(), "The request has invalid fields.");
  EXPECT_EQ(body.at("instance").as_string(), "/v1/interviews");
  const auto& errors = body.at("errors").as_array();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].at("field").as_string(), "title");
  EXPECT_EQ(errors[0].at("message").as_string(), "must not be empty");
  EXPECT_EQ(errors[1].at("field").as_string(), "scheduledAt");
  EXPECT_EQ(errors[2].at("field").as_string(), "extra");
  EXPECT_EQ(errors[2].at("message").as_string(), "is not a known field");
}

TEST(Problem, SingleFieldValidationError) {
  auto body = body_of(problem_response(ValidationError("Idempotency-Key", "too long"), "/a"));
  ASSERT_EQ(body.at("errors").as_array().size(), 1u);
  EXPECT_EQ(body.at("errors").as_array()[0].at("field").as_string(), "Idempotency-Key");
}

TEST(Problem, RateLimitedCarriesRetryAfter) {
  auto res = problem_response(RateLimited("Slow down.", 7), "/v1/auth/login");
  EXPECT_EQ(res.result_int(), 429u);
  EXPECT_EQ(header(res, bhttp::field::retry_after), "7");
  auto body = body_of(res);
  EXPECT_EQ(body.at("type").as_string(), "/problems/rate-limited");
  EXPECT_EQ(body.at("title").as_string(), "Too many requests");
  EXPECT_EQ(body.at("detail").as_string(), "Slow down.");
  EXPECT_FALSE(body.contains("errors"));
}

TEST(Problem, QuotaExceededCarriesLimitAndUsed) {
  auto res = problem_response(QuotaExceeded("The minutes are used up.", 60, 61), "/v1/uploads");
  EXPECT_EQ(res.result_int(), 402u);
  auto body = body_of(res);
  EXPECT_EQ(body.at("type").as_string(), "/problems/quota-exceeded");
  EXPECT_EQ(body.at("limit").as_int64(), 60);
  EXPECT_EQ(body.at("used").as_int64(), 61);
  EXPECT_EQ(body.at("detail").as_string(), "The minutes are used up.");
  EXPECT_FALSE(body.contains("errors"));
}

TEST(Problem, MethodNotAllowedCarriesAllow) {
  auto res = problem_response(MethodNotAllowed("No PUT here.", "GET, PATCH, DELETE"), "/v1/x");
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(header(res, bhttp::field::allow), "GET, PATCH, DELETE");
  auto body = body_of(res);
  EXPECT_EQ(body.at("type").as_string(), "/problems/method-not-allowed");
  EXPECT_EQ(body.at("title").as_string(), "Method not allowed");
}

TEST(Problem, TextIsEscapedAsJson) {
  auto res = problem_response(BadRequest("quote \" backslash \\ newline \n <tag>"), "/v1/a\"b");
  auto body = body_of(res);
  EXPECT_EQ(body.at("detail").as_string(), "quote \" backslash \\ newline \n <tag>");
  EXPECT_EQ(body.at("instance").as_string(), "/v1/a\"b");
}

TEST(Problem, InternalErrorLeaksNothing) {
  auto res = internal_error_response("/v1/interviews");
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_EQ(header(res, bhttp::field::content_type), "application/problem+json");
  auto body = body_of(res);
  EXPECT_EQ(body.at("type").as_string(), "/problems/internal");
  EXPECT_EQ(body.at("title").as_string(), "Internal server error");
  EXPECT_EQ(body.at("status").to_number<int>(), 500);
  EXPECT_EQ(body.at("instance").as_string(), "/v1/interviews");
  EXPECT_EQ(body.at("detail").as_string(),
            "The server could not complete the request; it has been logged.");
  EXPECT_FALSE(body.contains("errors"));
  EXPECT_EQ(body.size(), 5u);
}

}  // namespace
}  // namespace companion::http
