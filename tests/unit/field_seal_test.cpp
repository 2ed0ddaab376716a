// Sealed personal fields: what a row stores, and what refuses to open.
#include "modules/users/field_seal.hpp"

#include <gtest/gtest.h>

#include "infra/crypto/encoding.hpp"

namespace companion::users {
namespace {

class FieldSealTest : public ::testing::Test {
 protected:
  FieldSeal alice{crypto::random_bytes(32)};
  FieldSeal bob{crypto::random_bytes(32)};
};

TEST_F(FieldSealTest, ASealedValueOpensToTheTextAndDoesNotContainIt) {
  auto stored = alice.seal("interviews.title", "row-1", "Onsite at Acme \xF0\x9F\x98\x80");
  EXPECT_TRUE(stored.starts_with("sealed:v1:"));
  EXPECT_EQ(stored.find("Acme"), std::string::npos);
  EXPECT_EQ(alice.open("interviews.title", "row-1", stored), "Onsite at Acme \xF0\x9F\x98\x80");
}

TEST_F(FieldSealTest, SealingTheSameTextTwiceGivesDifferentValues) {
  EXPECT_NE(alice.seal("interviews.title", "row-1", "same"),
            alice.seal("interviews.title", "row-1", "same"));
}

TEST_F(FieldSealTest, AValueMovedToAnotherRowOrColumnDoesNotOpen) {
  auto stored = alice.seal("interviews.title", "row-1", "Onsite");
  EXPECT_THROW(alice.open("interviews.title", "row-2", stored), SealedFieldError);
  EXPECT_THROW(alice.open("interviews.company", "row-1", stored), SealedFieldError);
}

TEST_F(FieldSealTest, AnotherUsersKeyDoesNotOpenIt) {
  auto stored = alice.seal("analyses.body", "row-1", "{}");
  EXPECT_THROW(bob.open("analyses.body", "row-1", stored), SealedFieldError);
}

TEST_F(FieldSealTest, AnAlteredOrCutValueDoesNotOpen) {
  auto stored = alice.seal("analyses.body", "row-1", "{\"summary\":\"fine\"}");
  auto flipped = stored;
  flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
  EXPECT_THROW(alice.open("analyses.body", "row-1", flipped), SealedFieldError);
  EXPECT_THROW(alice.open("analyses.body", "row-1", stored.substr(0, stored.size() - 4)),
               SealedFieldError);
  EXPECT_THROW(alice.open("analyses.body", "row-1", "sealed:v1:not base64 !"), SealedFieldError);
  EXPECT_THROW(alice.open("analyses.body", "row-1", "sealed:v1:"), SealedFieldError);
}

TEST_F(FieldSealTest, ValuesWrittenBeforeSealingReadAsTheyAre) {
  EXPECT_EQ(alice.open("interviews.title", "row-1", "Phone screen"), "Phone screen");
  FieldSeal no_key{std::nullopt};
  EXPECT_EQ(no_key.open("interviews.title", "row-1", "Phone screen"), "Phone screen");
}

TEST_F(FieldSealTest, WithoutTheKeyASealedValueIsUnreadableAndNothingCanBeSealed) {
  auto stored = alice.seal("transcripts.segments", "row-1", "[]");
  FieldSeal erased{std::nullopt};
  EXPECT_THROW(erased.open("transcripts.segments", "row-1", stored), SealedFieldError);
  EXPECT_THROW(erased.seal("transcripts.segments", "row-1", "[]"), SealedFieldError);
}

TEST_F(FieldSealTest, ForAnAccountBeingErasedSealedValuesReadAsEmpty) {
  auto stored = alice.seal("interviews.title", "row-1", "Onsite");
  auto shredded = FieldSeal::shredded();
  EXPECT_TRUE(shredded.is_shredded());
  EXPECT_EQ(shredded.open("interviews.title", "row-1", stored), "");
  EXPECT_EQ(shredded.open("interviews.title", "row-1", "written before sealing"),
            "written before sealing");
  EXPECT_THROW(shredded.seal("interviews.title", "row-1", "x"), SealedFieldError);
}

TEST_F(FieldSealTest, AbsentOptionalValuesStayAbsent) {
  EXPECT_EQ(alice.seal_optional("interviews.role", "row-1", std::nullopt), std::nullopt);
  EXPECT_EQ(alice.open_optional("interviews.role", "row-1", std::nullopt), std::nullopt);
  auto stored = alice.seal_optional("interviews.role", "row-1", std::string("Engineer"));
  ASSERT_TRUE(stored);
  EXPECT_EQ(alice.open_optional("interviews.role", "row-1", stored), "Engineer");
}

TEST_F(FieldSealTest, EmptyTextIsSealedToo) {
  auto stored = alice.seal("interviews.company", "row-1", "");
  EXPECT_TRUE(FieldSeal::is_sealed(stored));
  EXPECT_EQ(alice.open("interviews.company", "row-1", stored), "");
}

}  // namespace
}  // namespace companion::users
