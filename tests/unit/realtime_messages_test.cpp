// The realtime wire formats: a WebSocket client's messages, the pub/sub
// messages between processes, and what the server sends.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "modules/realtime/event.hpp"
#include "modules/realtime/transports.hpp"

namespace companion::realtime {
namespace {

constexpr const char* kId = "01934f6e-8a4b-7c3d-9e2f-1a2b3c4d5e6f";

TEST(ClientMessage, SubscribeToOneOrAllWithAnOptionalResumePoint) {
  auto m = parse_client_message(
      R"({"type":"subscribe","interviewId":"01934F6E-8A4B-7C3D-9E2F-1A2B3C4D5E6F","resumeFrom":7})");
  EXPECT_EQ(m.error, "");
  EXPECT_TRUE(m.subscribe);
  EXPECT_EQ(m.interview_id, kId);  // normalised to lower case
  EXPECT_EQ(m.resume_from, 7);
  auto all = parse_client_message(R"({"type":"subscribe","interviewId":null})");
  EXPECT_EQ(all.error, "");
  EXPECT_FALSE(all.interview_id);
  EXPECT_FALSE(all.resume_from);
  auto bare = parse_client_message(R"({"type":"subscribe"})");
  EXPECT_EQ(bare.error, "");
  auto off =
      parse_client_message(std::string(R"({"type":"unsubscribe","interviewId":")") + kId + "\"}");
  EXPECT_EQ(off.error, "");
  EXPECT_FALSE(off.subscribe);
  EXPECT_EQ(off.interview_id, kId);
}

TEST(ClientMessage, AnythingElseIsRefusedWithAReason) {
  for (const char* bad :
       {"", "null", "[]", "not json", R"({"type":1})", R"({})", R"({"type":"dance"})",
        R"({"type":"subscribe","interviewId":"x"})", R"({"type":"subscribe","interviewId":5})",
        R"({"type":"subscribe","resumeFrom":-1})", R"({"type":"subscribe","resumeFrom":1.5})",
        R"({"type":"subscribe","resumeFrom":"3"})",
        R"({"type":"subscribe","resumeFrom":18446744073709551615})",
        R"({"type":"unsubscribe","resumeFrom":3})", R"({"type":"subscribe","extra":true})"}) {
    auto m = parse_client_message(bad);
    EXPECT_FALSE(m.error.empty()) << bad;
  }
}

TEST(PubSubMessage, AnEventAndADisconnectRoundTrip) {
  Event e{.user_id = "u1",
          .seq = 42,
          .type = "interview.status",
          .interview_id = kId,
          .data = {{"status", "analyzing"}, {"previous", "transcribing"}},
          .at_ms = 1'800'000'000'123};
  auto back = decode_message(encode_message(e));
  ASSERT_TRUE(back && back->event);
  EXPECT_EQ(back->event->user_id, "u1");
  EXPECT_EQ(back->event->seq, 42);
  EXPECT_EQ(back->event->interview_id, kId);
  EXPECT_EQ(back->event->data, e.data);
  EXPECT_EQ(back->event->at_ms, e.at_ms);
  Event tick{.user_id = "u1", .type = "interview.progress", .data = {}, .at_ms = 1};
  auto t = decode_message(encode_message(tick));
  ASSERT_TRUE(t && t->event);
  EXPECT_FALSE(t->event->seq);
  EXPECT_FALSE(t->event->interview_id);

  auto d = decode_message(encode_message(Disconnect{"u2", std::string("s9")}));
  ASSERT_TRUE(d && d->disconnect);
  EXPECT_EQ(d->disconnect->user_id, "u2");
  EXPECT_EQ(d->disconnect->session_id, "s9");
  auto all = decode_message(encode_message(Disconnect{"u2", std::nullopt}));
  ASSERT_TRUE(all && all->disconnect);
  EXPECT_FALSE(all->disconnect->session_id);
}

TEST(PubSubMessage, UnknownOrMalformedOnesAreIgnored) {
  for (const char* bad :
       {"", "{", "[]", R"({"k":"e"})", R"({"k":"x","u":"u"})",
        R"({"k":"e","u":"u","t":"x","d":[],"a":1})", R"({"k":"e","u":"u","t":"x","d":{},"a":"1"})",
        R"({"k":"e","u":"u","t":"x","d":{},"a":1,"s":"2"})"})
    EXPECT_FALSE(decode_message(bad)) << bad;
}

TEST(ServerMessage, EventsAndControlMessagesHaveTheContractsShape) {
  auto e = std::make_shared<const Event>(Event{.user_id = "u",
                                               .seq = 3,
                                               .type = "interview.completed",
                                               .interview_id = kId,
                                               .data = {{"title", "Onsite"}},
                                               .at_ms = 1'800'000'000'000});
  auto m = to_message(Outgoing(e));
  EXPECT_EQ(m.at("type"), "event");
  const auto& event = m.at("event").as_object();
  EXPECT_EQ(event.at("seq"), 3);
  EXPECT_EQ(event.at("type"), "interview.completed");
  EXPECT_EQ(event.at("interviewId"), kId);
  EXPECT_EQ(event.at("data").at("title"), "Onsite");
  EXPECT_EQ(event.at("at"), "2027-01-15T08:00:00.000Z");
  auto s = to_message(Outgoing(Subscribed{std::nullopt, 9}));
  EXPECT_EQ(boost::json::serialize(s), R"({"type":"subscribed","seq":9,"interviewId":null})");
  auto r = to_message(Outgoing(Resync{9, 4}));
  EXPECT_EQ(r.at("type"), "resync");
  EXPECT_EQ(r.at("seq"), 9);
  auto f = to_message(Outgoing(Failure{"invalid-message", "why"}));
  EXPECT_EQ(boost::json::serialize(f),
            R"({"type":"error","code":"invalid-message","message":"why"})");
}

}  // namespace
}  // namespace companion::realtime
