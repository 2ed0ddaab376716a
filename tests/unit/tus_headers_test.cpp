// The tus request headers: Upload-Metadata, Upload-Concat, Upload-Checksum;
// and the digests and dates they rely on.
#include <gtest/gtest.h>

#include "infra/clock/rfc3339.hpp"
#include "infra/crypto/digest.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/errors/errors.hpp"
#include "modules/uploads/upload.hpp"

namespace companion::uploads {
namespace {

constexpr const char* kId = "01934f6e-8a4b-7c3d-9e2f-1a2b3c4d5e6f";

std::string b64(std::string_view s) {
  return crypto::base64_encode(s);
}

TEST(UploadMetadata, ParsesPairsAndEmptyValues) {
  auto m = parse_metadata("filename " + b64("world_domination_plan.pdf") + ",is_confidential");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].first, "filename");
  EXPECT_EQ(m[0].second, "world_domination_plan.pdf");
  EXPECT_EQ(m[1].first, "is_confidential");
  EXPECT_FALSE(m[1].second.has_value());
  EXPECT_TRUE(parse_metadata("").empty());
  EXPECT_EQ(parse_metadata(" a " + b64("x") + " , b " + b64("y")).size(), 2u);
}

TEST(UploadMetadata, RefusesMalformedLists) {
  for (std::string bad : std::vector<std::string>{"a !!!", "a " + b64("x") + ",a " + b64("y"), ",",
                                                  "a b c", "k\x01 " + b64("x")})
    EXPECT_THROW(parse_metadata(bad), ValidationError) << bad;
}

TEST(UploadMetadata, RecordingFieldsAreValidated) {
  auto m = recording_metadata("interviewId " + b64(kId) + ",consent " + b64("self-only") +
                              ",filename " + b64("onsite.wav") + ",filetype " + b64("audio/wav") +
                              ",relativePath " + b64("null"));
  EXPECT_EQ(m.interview_id, kId);
  EXPECT_EQ(m.consent, Consent::kSelfOnly);
  EXPECT_EQ(m.filename, "onsite.wav");
  EXPECT_EQ(m.filetype, "audio/wav");
  EXPECT_THROW(recording_metadata("interviewId " + b64("42")), ValidationError);
  EXPECT_THROW(recording_metadata("consent " + b64("everyone")), ValidationError);
  EXPECT_THROW(recording_metadata("filename " + b64("a\nb")), ValidationError);
  EXPECT_THROW(recording_metadata("filename " + b64("\xff\xfe")), ValidationError);
  EXPECT_THROW(recording_metadata("filename " + b64(std::string(256, 'a'))), ValidationError);
  auto none = recording_metadata("");
  EXPECT_FALSE(none.interview_id || none.consent || none.filename || none.filetype);
}

TEST(UploadConcat, PartialAndFinalWithPathsOrUrls) {
  EXPECT_EQ(parse_concat("partial").first, Concat::kPartial);
  auto [kind, ids] = parse_concat(std::string("final;/v1/uploads/") + kId +
                                  " http://localhost:8080/v1/uploads/" + kId);
  EXPECT_EQ(kind, Concat::kFinal);
  EXPECT_EQ(ids, (std::vector<std::string>{kId, kId}));
  for (std::string bad :
       std::vector<std::string>{"", "final", "final;", "final;/v1/uploads/x", "partial;x",
                                "final;/v1/interviews/" + std::string(kId)})
    EXPECT_THROW(parse_concat(bad), ValidationError) << bad;
}

TEST(UploadNumber, IsADecimalNumberAndNothingElse) {
  EXPECT_EQ(parse_upload_number("Upload-Length", "0"), 0u);
  EXPECT_EQ(parse_upload_number("Upload-Offset", "18446744073709551615"), 18446744073709551615u);
  for (std::string bad : {"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "18446744073709551616"})
    EXPECT_THROW(parse_upload_number("Upload-Length", bad), BadRequest) << bad;
}

TEST(UploadChecksum, NamesAnAlgorithmAndADigestOfItsSize) {
  auto sha1 = crypto::Digest(crypto::DigestAlgorithm::kSha1);
  sha1.update("abc");
  auto c = parse_checksum("sha1 " + b64(sha1.finish()));
  EXPECT_EQ(c.algorithm, "sha1");
  EXPECT_EQ(crypto::hex_encode(c.digest), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_THROW(parse_checksum("crc32 AAAA"), BadRequest);
  EXPECT_THROW(parse_checksum("sha1"), BadRequest);
  EXPECT_THROW(parse_checksum("sha256 " + b64("short")), BadRequest);
  EXPECT_THROW(parse_checksum("md5 ***"), BadRequest);
}

TEST(Digest, KnownAnswers) {
  auto hex = [](crypto::DigestAlgorithm a, std::string_view in) {
    crypto::Digest d(a);
    d.update(in.substr(0, in.size() / 2));
    d.update(in.substr(in.size() / 2));
    return crypto::hex_encode(d.finish());
  };
  EXPECT_EQ(hex(crypto::DigestAlgorithm::kMd5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(crypto::DigestAlgorithm::kSha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(crypto::DigestAlgorithm::kSha1, ""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(Base64, StandardAlphabetWithPadding) {
  EXPECT_EQ(crypto::base64_encode("any carnal pleas"), "YW55IGNhcm5hbCBwbGVhcw==");
  EXPECT_EQ(crypto::base64_decode("YW55IGNhcm5hbCBwbGVhcw=="), "any carnal pleas");
  EXPECT_EQ(crypto::base64_decode(""), "");
  EXPECT_EQ(crypto::base64_decode("+/+/"), std::string("\xfb\xff\xbf", 3));
  EXPECT_FALSE(crypto::base64_decode("YW55-_"));
  EXPECT_FALSE(crypto::base64_decode("YW5"));
  EXPECT_FALSE(crypto::base64_decode("YW55 "));
}

TEST(HttpDate, Rfc9110Format) {
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(784'111'777'000), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(1'795'629'417'999), "Wed, 25 Nov 2026 17:56:57 GMT");
}

}  // namespace
}  // namespace companion::uploads
