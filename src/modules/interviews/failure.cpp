#include "modules/interviews/failure.hpp"

#include "infra/asr/remote_engine.hpp"
#include "infra/db/database.hpp"
#include "infra/errors/errors.hpp"
#include "infra/media/decoder.hpp"
#include "infra/media/probe.hpp"
#include "infra/storage/blob_store.hpp"

namespace companion::interviews {
namespace {

FailureReason of_media(media::MediaProblem problem) {
  switch (problem) {
    case media::MediaProblem::kEmpty:
      return FailureReason::kRecordingEmpty;
    case media::MediaProblem::kNotMedia:
      return FailureReason::kNotAudio;
    case media::MediaProblem::kNoAudio:
      return FailureReason::kNoAudioTrack;
    case media::MediaProblem::kUnsupportedCodec:
      return FailureReason::kUnsupportedCodec;
    case media::MediaProblem::kCorrupt:
    case media::MediaProblem::kTimedOut:
    case media::MediaProblem::kOther:
      break;
  }
  return FailureReason::kUndecodable;
}

}  // namespace

std::string_view describe(FailureReason reason) {
  switch (reason) {
    case FailureReason::kRecordingEmpty:
      return "The recording is empty.";
    case FailureReason::kNotAudio:
      return "The file is not a recognised audio or video format.";
    case FailureReason::kNoAudioTrack:
      return "The recording has no sound track.";
    case FailureReason::kUnsupportedCodec:
      return "The recording's audio format is not supported.";
    case FailureReason::kUndecodable:
      return "The recording could not be decoded; it may be truncated or damaged.";
    case FailureReason::kSpeechServiceUnavailable:
      return "The speech recognition service is unavailable. Please try again later.";
    case FailureReason::kStorageUnavailable:
      return "The stored recording could not be read. Please try again later.";
    case FailureReason::kInterrupted:
      return "Processing was interrupted on every attempt. Please try again later.";
    case FailureReason::kCancelled:
      return "Processing was cancelled.";
    case FailureReason::kQuotaExceeded:
      return "The recording needs more processing minutes than your plan allows or has left "
             "this period. Nothing was counted; retry it after upgrading or in the next period.";
    case FailureReason::kInternal:
      break;
  }
  return "Something went wrong on our side. Please try again later.";
}

std::string_view code(FailureReason reason) {
  switch (reason) {
    case FailureReason::kRecordingEmpty:
      return "recording-empty";
    case FailureReason::kNotAudio:
      return "not-audio";
    case FailureReason::kNoAudioTrack:
      return "no-audio-track";
    case FailureReason::kUnsupportedCodec:
      return "unsupported-codec";
    case FailureReason::kUndecodable:
      return "undecodable";
    case FailureReason::kSpeechServiceUnavailable:
      return "speech-service-unavailable";
    case FailureReason::kStorageUnavailable:
      return "storage-unavailable";
    case FailureReason::kInterrupted:
      return "interrupted";
    case FailureReason::kCancelled:
      return "cancelled";
    case FailureReason::kQuotaExceeded:
      return "quota-exceeded";
    case FailureReason::kInternal:
      break;
  }
  return "internal";
}

FailureReason failure_reason_of(std::exception_ptr error) {
  if (!error) return FailureReason::kInterrupted;
  try {
    std::rethrow_exception(error);
  } catch (const media::MediaError& e) {
    return of_media(e.problem());
  } catch (const media::DecodeCancelled&) {
    return FailureReason::kCancelled;
  } catch (const asr::RemoteAsrError&) {
    return FailureReason::kSpeechServiceUnavailable;
  } catch (const storage::StorageError&) {
    return FailureReason::kStorageUnavailable;
  } catch (const QuotaExceeded&) {
    return FailureReason::kQuotaExceeded;
  } catch (const std::nested_exception& e) {
    // A wrapper (a permanent failure around its cause): the cause decides.
    if (auto inner = e.nested_ptr()) return failure_reason_of(inner);
  } catch (...) {
  }
  return FailureReason::kInternal;
}

}  // namespace companion::interviews
