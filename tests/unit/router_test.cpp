#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "infra/http/router.hpp"

namespace companion::http {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

Handler handler() {
  return [](Request&) -> boost::asio::awaitable<Response> { co_return Response{}; };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.add(Verb::get, "/healthz", {.auth = false}, handler());
    router.add(Verb::get, "/v1/interviews", {}, handler());
    router.add(Verb::post, "/v1/interviews", {.json_body = true}, handler());
    router.add(Verb::get, "/v1/interviews/{id}", {}, handler());
    router.add(Verb::patch, "/v1/interviews/{id}", {}, handler());
    router.add(Verb::delete_, "/v1/interviews/{id}", {}, handler());
    router.add(Verb::get, "/v1/interviews/{id}/notes/{noteId}", {}, handler());
  }
  Router router;
};

TEST_F(RouterTest, MatchesLiteralPaths) {
  auto m = router.match(Verb::get, "/healthz");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->path_template, "/healthz");
  EXPECT_EQ(m.route->method, Verb::get);
  EXPECT_FALSE(m.route->options.auth);
  EXPECT_TRUE(m.params.empty());
}

TEST_F(RouterTest, PicksTheRouteForTheMethod) {
  auto get = router.match(Verb::get, "/v1/interviews");
  auto post = router.match(Verb::post, "/v1/interviews");
  ASSERT_TRUE(get.route && post.route);
  EXPECT_EQ(get.route->method, Verb::get);
  EXPECT_FALSE(get.route->options.json_body);
  EXPECT_EQ(post.route->method, Verb::post);
  EXPECT_TRUE(post.route->options.json_body);
}

TEST_F(RouterTest, ExtractsParameters) {
  auto m = router.match(Verb::patch, "/v1/interviews/01890a5d-ac96-774b-bcce-b302099a8057");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->path_template, "/v1/interviews/{id}");
  EXPECT_EQ(m.route->method, Verb::patch);
  EXPECT_EQ(m.params, (Params{{"id", "01890a5d-ac96-774b-bcce-b302099a8057"}}));
}

TEST_F(RouterTest, ExtractsSeveralParametersInOrder) {
  auto m = router.match(Verb::get, "/v1/interviews/abc/notes/xyz");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->path_template, "/v1/interviews/{id}/notes/{noteId}");
  EXPECT_EQ(m.params, (Params{{"id", "abc"}, {"noteId", "xyz"}}));
}

std::vector<Verb> sorted(std::vector<Verb> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_F(RouterTest, WrongMethodOnAKnownPathListsTheAllowedOnes) {
  // A GET route also answers HEAD, so HEAD is listed with it.
  auto m = router.match(Verb::put, "/v1/interviews/abc");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.params.empty());
  EXPECT_EQ(sorted(m.allowed), sorted({Verb::get, Verb::head, Verb::patch, Verb::delete_}));

  auto list = router.match(Verb::delete_, "/v1/interviews");
  EXPECT_EQ(list.route, nullptr);
  EXPECT_EQ(sorted(list.allowed), sorted({Verb::get, Verb::head, Verb::post}));

  auto health = router.match(Verb::post, "/healthz");
  EXPECT_EQ(health.route, nullptr);
  EXPECT_EQ(sorted(health.allowed), sorted({Verb::get, Verb::head}));

  Router post_only;
  post_only.add(Verb::post, "/v1/auth/login", {}, handler());
  EXPECT_EQ(post_only.match(Verb::get, "/v1/auth/login").allowed, std::vector<Verb>{Verb::post});
  EXPECT_EQ(post_only.match(Verb::head, "/v1/auth/login").route, nullptr);
}

TEST_F(RouterTest, HeadIsServedByTheGetRoute) {
  auto m = router.match(Verb::head, "/v1/interviews/abc");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, Verb::get);
  EXPECT_EQ(m.route->path_template, "/v1/interviews/{id}");
  EXPECT_EQ(m.params, (Params{{"id", "abc"}}));
}

TEST_F(RouterTest, UnknownPathsMatchNothing) {
  for (const char* path : {"/", "", "/v1", "/v2/interviews", "/v1/interview",
                           "/v1/interviews/abc/extra", "/v1/interviews/abc/notes",
                           "/v1/interviews/abc/notes/xyz/more", "/healthz/x", "/HEALTHZ"}) {
    auto m = router.match(Verb::get, path);
    EXPECT_EQ(m.route, nullptr) << path;
    EXPECT_TRUE(m.allowed.empty()) << path;
    EXPECT_TRUE(m.params.empty()) << path;
  }
}

TEST_F(RouterTest, ParametersDoNotSpanSegments) {
  auto m = router.match(Verb::delete_, "/v1/interviews/a/b");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.allowed.empty());
}

TEST(Router, RegisteringTheSameRouteTwiceThrows) {
  Router router;
  router.add(Verb::get, "/v1/interviews/{id}", {}, handler());
  EXPECT_THROW(router.add(Verb::get, "/v1/interviews/{id}", {}, handler()), std::logic_error);
  // Another method on the same path is a different route.
  EXPECT_NO_THROW(router.add(Verb::delete_, "/v1/interviews/{id}", {}, handler()));
  EXPECT_EQ(router.routes().size(), 2u);
}

TEST(Router, RoutesThatDifferOnlyInParameterNamesAreDuplicates) {
  // The second can never match: the first takes every request it would.
  Router router;
  router.add(Verb::get, "/v1/interviews/{id}", {}, handler());
  EXPECT_THROW(router.add(Verb::get, "/v1/interviews/{interviewId}", {}, handler()),
               std::logic_error);
}

}  // namespace
}  // namespace companion::http
