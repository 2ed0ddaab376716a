// What a person reads when processing gives up: one of a few written
// sentences chosen by what was thrown, never the thrown text (a remote
// service's answer, storage keys and paths, SQL).
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>

#include "infra/asr/remote_engine.hpp"
#include "infra/db/database.hpp"
#include "infra/media/decoder.hpp"
#include "infra/media/probe.hpp"
#include "infra/queue/worker.hpp"
#include "infra/storage/blob_store.hpp"
#include "modules/interviews/failure.hpp"

namespace companion::interviews {
namespace {

template <class E>
std::exception_ptr thrown(E e) {
  return std::make_exception_ptr(std::move(e));
}

// A queue::PermanentFailure wrapping `cause`, as a stage throws it.
template <class E>
std::exception_ptr wrapped(E cause) {
  try {
    try {
      throw cause;
    } catch (const std::exception& e) {
      std::throw_with_nested(queue::PermanentFailure(e.what()));
    }
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

struct Case {
  const char* name;
  std::exception_ptr error;
  FailureReason expected;
  const char* secret;  // text of the error that must not reach the reason
};

TEST(FailureReason, TheReasonIsWrittenNotTheErrorText) {
  const Case cases[] = {
      {"remote service body",
       thrown(asr::RemoteAsrError("the speech recognition service answered 500: "
                                  "{\"error\":\"pod asr-7f9c OOMKilled, key sk-live-123\"}")),
       FailureReason::kSpeechServiceUnavailable, "sk-live-123"},
      {"storage key and path",
       thrown(storage::StorageError("cannot open /var/lib/ic/blobs/u/0190/rec.sealed: EIO")),
       FailureReason::kStorageUnavailable, "/var/lib/ic/blobs"},
      {"S3 request",
       thrown(storage::StorageError(
           "S3 GET http://minio.internal:9000/bucket/users/01/rec: HTTP 503")),
       FailureReason::kStorageUnavailable, "minio.internal"},
      {"SQL",
       thrown(db::Error(db::ErrorKind::kOther,
                        "SQLite: no such column: secret_col in UPDATE interviews SET ...")),
       FailureReason::kInternal, "UPDATE interviews"},
      {"a file path in a system error",
       thrown(std::system_error(std::make_error_code(std::errc::permission_denied),
                                "/srv/models/en-us/mdef")),
       FailureReason::kInternal, "/srv/models"},
      {"a recogniser's message", thrown(std::runtime_error("pocketsphinx: cannot load /opt/x")),
       FailureReason::kInternal, "/opt/x"},
      {"a decoder's verdict, wrapped as permanent",
       wrapped(media::MediaError(media::MediaProblem::kCorrupt)), FailureReason::kUndecodable,
       "truncated or corrupt"},
      {"no audio stream", wrapped(media::MediaError(media::MediaProblem::kNoAudio)),
       FailureReason::kNoAudioTrack, "audio stream"},
      {"not media", thrown(media::MediaError(media::MediaProblem::kNotMedia)),
       FailureReason::kNotAudio, "never"},
      {"a permanent failure without a cause",
       thrown(queue::PermanentFailure("the event recording.uploaded has no runId")),
       FailureReason::kInternal, "runId"},
      {"cancelled", thrown(media::DecodeCancelled()), FailureReason::kCancelled, "never"},
      {"no exception: the worker died each time", nullptr, FailureReason::kInterrupted, "never"},
  };
  for (const auto& c : cases) {
    auto reason = failure_reason_of(c.error);
    EXPECT_EQ(reason, c.expected) << c.name << ": " << code(reason);
    std::string text(describe(reason));
    EXPECT_EQ(text.find(c.secret), std::string::npos) << c.name << ": " << text;
  }
}

TEST(FailureReason, EachReasonIsASentenceWithItsOwnCode) {
  const FailureReason all[] = {
      FailureReason::kRecordingEmpty,     FailureReason::kNotAudio,
      FailureReason::kNoAudioTrack,       FailureReason::kUnsupportedCodec,
      FailureReason::kUndecodable,        FailureReason::kSpeechServiceUnavailable,
      FailureReason::kStorageUnavailable, FailureReason::kInterrupted,
      FailureReason::kCancelled,          FailureReason::kInternal,
  };
  std::set<std::string_view> texts, codes;
  for (auto r : all) {
    auto text = describe(r);
    ASSERT_FALSE(text.empty());
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(text.front()))) << text;
    EXPECT_EQ(text.back(), '.') << text;
    texts.insert(text);
    codes.insert(code(r));
  }
  EXPECT_EQ(texts.size(), std::size(all));
  EXPECT_EQ(codes.size(), std::size(all));
}

}  // namespace
}  // namespace companion::interviews
