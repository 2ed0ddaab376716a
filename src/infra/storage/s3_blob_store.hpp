#pragma once
// Objects in one bucket of an S3-compatible service, addressed path-style
// (ENDPOINT/BUCKET/KEY), signed with SigV4 by libcurl (CURLOPT_AWS_SIGV4).
//
// A writer buffers at most one part (8 MiB by default) and streams the rest
// as a multipart upload: CreateMultipartUpload when the first part fills,
// UploadPart for each full part, CompleteMultipartUpload on commit(). An
// object smaller than one part is a single PutObject. Destroying an
// uncommitted writer aborts the upload (best effort; counted, never thrown).
//
// Every request goes through the shared outgoing HTTP client
// (infra/http_client): a connect timeout, an overall timeout and a
// low-speed limit, and retries with full-jitter backoff on connection
// failures and on HTTP 408/429/5xx (not on a timeout once the request went
// out). Errors are StorageError naming the S3 operation, the key and the
// HTTP status, never the credentials. All calls are safe from several
// threads at once; writers may outlive the store.
//
// The pieces: s3_endpoint (the storage URL, object URLs, signing), s3_xml
// (the documents S3 speaks), s3_client (one method an S3 operation),
// s3_multipart_writer (the BlobWriter), and this store.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "infra/storage/blob_store.hpp"

namespace companion::storage {

struct S3Settings {
  std::string endpoint;  // scheme://host[:port], no path
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  // Multipart part size: the memory one writer holds. S3 needs >= 5 MiB for
  // every part but the last, and allows 10,000 parts.
  std::size_t part_size = 8 * 1024 * 1024;
  std::chrono::milliseconds connect_timeout{5'000};
  // Whole-request deadline for small requests (HEAD, ranged GET, DELETE,
  // create/abort) and for requests carrying a part or completing an upload.
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds transfer_timeout{300'000};
  // A transfer slower than 1 KiB/s for this long is abandoned.
  std::chrono::seconds low_speed_time{30};
  // check() (readiness) makes one attempt within this.
  std::chrono::milliseconds check_timeout{5'000};
  int max_attempts = 3;  // per request, the first one included
};

// Parses "s3://BUCKET?endpoint=http://host:port&region=us-east-1[&path_style=true]"
// and takes the credentials from `settings`. Throws std::invalid_argument
// naming the offending part (unknown query keys included).
S3Settings parse_s3_url(const BlobStoreSettings& settings);

// What the store has done (the tests check the multipart and retry paths by it).
struct S3Counters {
  std::uint64_t requests = 0;  // HTTP attempts, retries included
  std::uint64_t retries = 0;
  std::uint64_t parts_uploaded = 0;
  std::uint64_t multipart_completed = 0;
  std::uint64_t aborts_attempted = 0;
  std::uint64_t aborts_failed = 0;
};

class S3Client;  // the S3 operations (s3_client.hpp), shared with writers

class S3BlobStore final : public BlobStore {
 public:
  // Throws std::invalid_argument on settings that cannot work.
  explicit S3BlobStore(S3Settings settings);
  ~S3BlobStore() override;

  std::unique_ptr<BlobWriter> create(const std::string& key) override;
  void adopt(const std::string& key, const std::filesystem::path& file) override;
  std::size_t read(const std::string& key, std::uint64_t offset, std::span<char> out) override;
  std::optional<std::uint64_t> size(const std::string& key) override;
  void remove(const std::string& key) override;
  void check() override;
  // A writer aborts its multipart upload when it fails or is dropped; one
  // left by a killed process is the bucket lifecycle rule's
  // (AbortIncompleteMultipartUpload, docs/operations.md). Returns 0.
  std::size_t remove_abandoned(std::chrono::seconds) override { return 0; }

  // Creates the bucket; one that already exists and is ours is fine. For
  // first-time setup and tests; serving never creates buckets.
  void create_bucket();
  S3Counters counters() const;

 private:
  std::shared_ptr<S3Client> client_;
};

}  // namespace companion::storage
