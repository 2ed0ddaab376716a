// S3 object URLs in SigV4's canonical encoding, and the XML S3 speaks.
#include <gtest/gtest.h>

#include "infra/storage/s3_endpoint.hpp"
#include "infra/storage/s3_xml.hpp"

namespace companion::storage::s3 {
namespace {

S3Settings settings() {
  S3Settings s;
  s.endpoint = "http://127.0.0.1:9000";
  s.bucket = "my-bucket";
  return s;
}

TEST(S3ObjectUrl, EncodesAllButUnreservedCharactersInTheQuery) {
  EXPECT_EQ(object_url(settings(), {}), "http://127.0.0.1:9000/my-bucket");
  EXPECT_EQ(object_url(settings(), "recordings/u-1/a.b_c~"),
            "http://127.0.0.1:9000/my-bucket/recordings/u-1/a.b_c~");
  EXPECT_EQ(object_url(settings(), "k", {{"uploads", ""}}),
            "http://127.0.0.1:9000/my-bucket/k?uploads=");
  // Upload ids carry '/', '+' and '=' on some services: SigV4 wants them
  // encoded, upper-case hex.
  EXPECT_EQ(object_url(settings(), "k", {{"partNumber", "7"}, {"uploadId", "a/b+c=d e"}}),
            "http://127.0.0.1:9000/my-bucket/k?partNumber=7&uploadId=a%2Fb%2Bc%3Dd%20e");
}

TEST(S3Signing, NamesTheRegionAndHashesThePayload) {
  auto s = settings();
  s.region = "eu-west-1";
  EXPECT_EQ(signing(s).provider, "aws:amz:eu-west-1:s3");
  EXPECT_EQ(payload_hash_header(""),
            "x-amz-content-sha256: "
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(payload_hash_header("abc"),
            "x-amz-content-sha256: "
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(S3Xml, ReadsErrorsAndWritesTheCompletionDocument) {
  auto error = "<Error><Code>NoSuchKey</Code><Message>a &amp; b</Message></Error>";
  EXPECT_EQ(error_summary(error), " NoSuchKey: a & b");
  EXPECT_EQ(xml_text("<R><UploadId>x&lt;y</UploadId></R>", "UploadId"), "x<y");
  EXPECT_EQ(xml_text("<R/>", "UploadId"), "");
  EXPECT_EQ(complete_upload_document({"\"e1\"", "\"e2\""}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"
            "</Part><Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
  EXPECT_TRUE(upload_completed("<CompleteMultipartUploadResult/>"));
  EXPECT_FALSE(upload_completed("<Error><Code>InternalError</Code></Error>"));
  EXPECT_EQ(create_bucket_document("us-east-1"), "");
  EXPECT_NE(create_bucket_document("eu-west-1").find("<LocationConstraint>eu-west-1<"),
            std::string::npos);
}

}  // namespace
}  // namespace companion::storage::s3
