#pragma once
// Why processing gave up, as an interview's `failure.reason` tells a
// person. A closed set of written sentences chosen by the type of what was
// thrown; the raw text (a remote service's answer, storage keys, SQL, file
// paths) goes only to the log, with the trace id.
#include <exception>
#include <string_view>

namespace companion::interviews {

enum class FailureReason {
  kRecordingEmpty,            // media: no bytes
  kNotAudio,                  // media: not an audio or video format
  kNoAudioTrack,              // media: a container without sound
  kUnsupportedCodec,          // media: a codec FFmpeg cannot decode
  kUndecodable,               // media: truncated, corrupt, or too slow to read
  kSpeechServiceUnavailable,  // the remote speech recognition service failed
  kStorageUnavailable,        // the stored recording could not be read
  kInterrupted,               // the worker stopped during every attempt
  kCancelled,                 // stopped by a cancel that arrived as an error
  kQuotaExceeded,             // billing: longer than the plan allows or has left
  kInternal,                  // anything else (database, recogniser, a bug)
};

// The sentence shown to the user: a capital letter, a full stop, nothing
// from the error itself.
std::string_view describe(FailureReason reason);
// A stable name for logs and tests ("not-audio", "internal", ...).
std::string_view code(FailureReason reason);

// The reason for what a stage threw: a nested exception (a
// queue::PermanentFailure thrown with std::throw_with_nested around a
// media::MediaError) is looked into. No exception (null): kInterrupted.
FailureReason failure_reason_of(std::exception_ptr error);

}  // namespace companion::interviews
