#pragma once
// The XML S3 speaks: the documents the store sends (CompleteMultipartUpload,
// CreateBucketConfiguration) and what it reads from answers (UploadId, an
// error's Code and Message). S3's answers are flat enough that the first
// <Tag>...</Tag> is the value.
#include <string>
#include <string_view>
#include <vector>

namespace companion::storage::s3 {

// The unescaped text of the first <tag>...</tag> in `doc`, or "" when absent.
std::string xml_text(std::string_view doc, std::string_view tag);

// " CODE: MESSAGE" from an <Error> document (either part may be missing).
std::string error_summary(std::string_view doc);

// Whether a 200 answer to CompleteMultipartUpload really succeeded (S3 may
// put an <Error> document in one).
bool upload_completed(std::string_view doc);

// Parts numbered from 1 in the order of `etags`.
std::string complete_upload_document(const std::vector<std::string>& etags);

// "" for us-east-1, which takes no location constraint.
std::string create_bucket_document(std::string_view region);

}  // namespace companion::storage::s3
