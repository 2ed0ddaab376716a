#pragma once
// Where S3 requests go and how they are signed: the storage URL's parsing
// (parse_s3_url, declared in s3_blob_store.hpp), bucket and region rules,
// path-style object URLs built with Boost.URL, and the SigV4 setup the
// HTTP client applies.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infra/http_client/http_client.hpp"
#include "infra/storage/s3_blob_store.hpp"

namespace companion::storage::s3 {

// S3's bucket naming rules (the strict, DNS-compatible ones).
bool valid_bucket(std::string_view bucket);
bool valid_region(std::string_view region);

using Query = std::vector<std::pair<std::string_view, std::string_view>>;

// ENDPOINT/BUCKET[/KEY][?QUERY], every key segment and query part
// percent-encoded but RFC 3986's unreserved characters, which is SigV4's
// canonical form (libcurl 7.88 signs the query as written, so give the
// parameters in sorted order).
std::string object_url(const S3Settings& settings, std::string_view key, const Query& query = {});

// libcurl's SigV4 signing for this bucket's region.
http_client::AwsSigV4 signing(const S3Settings& settings);
// The x-amz-content-sha256 header for a payload: libcurl 7.88 signs with
// the hash it finds there and sends none by itself, which S3 requires.
std::string payload_hash_header(std::string_view payload);

}  // namespace companion::storage::s3
