#include "infra/storage/s3_endpoint.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <stdexcept>

#include "infra/crypto/encoding.hpp"

namespace companion::storage::s3 {
namespace {

// SHA-256 of the empty payload, for requests without a body.
constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string encode(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

// "http(s)://host[:port]" with nothing else.
std::string parse_endpoint(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  const char* kHint =
      "storage URL: endpoint must be http(s)://host[:port], e.g. http://127.0.0.1:9000";
  if (!parsed) throw std::invalid_argument(kHint);
  auto u = *parsed;
  if (u.scheme_id() != boost::urls::scheme::http && u.scheme_id() != boost::urls::scheme::https)
    throw std::invalid_argument(kHint);
  if (!u.has_authority() || u.encoded_host().empty()) throw std::invalid_argument(kHint);
  if (u.has_userinfo())
    throw std::invalid_argument(
        "storage URL: endpoint must not carry credentials; set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY");
  if (!(u.encoded_path().empty() || u.encoded_path() == "/") || u.has_query() || u.has_fragment())
    throw std::invalid_argument("storage URL: endpoint must have no path, query or fragment");
  return std::string(u.scheme()) + "://" + std::string(u.encoded_host_and_port());
}

}  // namespace

bool valid_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  if (!is_lower_alnum(b.front()) || !is_lower_alnum(b.back())) return false;
  if (b.find("..") != std::string_view::npos) return false;
  return std::all_of(b.begin(), b.end(),
                     [](char c) { return is_lower_alnum(c) || c == '.' || c == '-'; });
}

bool valid_region(std::string_view r) {
  return !r.empty() && r.size() <= 64 &&
         std::all_of(r.begin(), r.end(), [](char c) { return is_lower_alnum(c) || c == '-'; });
}

std::string object_url(const S3Settings& settings, std::string_view key, const Query& query) {
  std::string path = "/" + encode(settings.bucket);
  for (std::size_t from = 0; !key.empty() && from <= key.size();) {
    auto slash = std::min(key.find('/', from), key.size());
    path += "/" + encode(key.substr(from, slash - from));
    from = slash + 1;
  }
  std::string encoded_query;
  for (const auto& [name, value] : query)
    encoded_query += (encoded_query.empty() ? "" : "&") + encode(name) + "=" + encode(value);
  boost::urls::url url(settings.endpoint);
  url.set_encoded_path(path);
  if (!query.empty()) url.set_encoded_query(encoded_query);
  return std::string(url.buffer());
}

http_client::AwsSigV4 signing(const S3Settings& settings) {
  return {.provider = "aws:amz:" + settings.region + ":s3",
          .access_key_id = settings.access_key_id,
          .secret_access_key = settings.secret_access_key};
}

std::string payload_hash_header(std::string_view payload) {
  return "x-amz-content-sha256: " + (payload.empty() ? std::string(kEmptyPayloadSha256)
                                                     : crypto::hex_encode(crypto::sha256(payload)));
}

}  // namespace companion::storage::s3

namespace companion::storage {

S3Settings parse_s3_url(const BlobStoreSettings& settings) {
  auto parsed = boost::urls::parse_uri(settings.url);
  if (!parsed || parsed->scheme() != "s3")
    throw std::invalid_argument(
        "storage URL must look like s3://BUCKET?endpoint=http://host:port&region=us-east-1");
  auto u = *parsed;
  if (u.has_userinfo())
    throw std::invalid_argument(
        "storage URL must not carry credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  if (u.has_port()) throw std::invalid_argument("storage URL: s3://BUCKET takes no port");
  if (!(u.encoded_path().empty() || u.encoded_path() == "/") || u.has_fragment())
    throw std::invalid_argument("storage URL: s3://BUCKET takes no path or fragment");

  S3Settings s;
  s.bucket = u.host();
  if (!s3::valid_bucket(s.bucket))
    throw std::invalid_argument("storage URL: bucket name '" + s.bucket +
                                "' is not a valid S3 bucket name (3-63 of a-z 0-9 . -)");
  bool have_endpoint = false, have_region = false, have_path_style = false;
  for (auto param : u.params()) {
    auto once = [&](bool& seen) {
      if (seen)
        throw std::invalid_argument("storage URL: query key '" + param.key + "' is repeated");
      seen = true;
    };
    if (param.key == "endpoint") {
      once(have_endpoint);
      s.endpoint = s3::parse_endpoint(param.value);
    } else if (param.key == "region") {
      once(have_region);
      if (!s3::valid_region(param.value))
        throw std::invalid_argument("storage URL: region '" + param.value + "' is not valid");
      s.region = param.value;
    } else if (param.key == "path_style") {
      once(have_path_style);
      if (param.value != "true")
        throw std::invalid_argument(
            "storage URL: path_style must be true (only path-style addressing is supported)");
    } else {
      throw std::invalid_argument("storage URL: unknown query key '" + param.key +
                                  "' (known: endpoint, region, path_style)");
    }
  }
  if (!have_endpoint)
    throw std::invalid_argument(
        "storage URL: endpoint= is required, e.g. endpoint=https://s3.us-east-1.amazonaws.com");
  if (settings.access_key_id.empty() || settings.secret_access_key.empty())
    throw std::invalid_argument(
        "S3 storage needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  s.access_key_id = settings.access_key_id;
  s.secret_access_key = settings.secret_access_key;
  return s;
}

}  // namespace companion::storage
