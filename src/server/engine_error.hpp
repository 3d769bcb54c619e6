// SPDX-License-Identifier: Apache-2.0
// EngineError: the expected failures of the server's blocking engines (Recognizer, Synthesizer,
// Brain), as std::error_code values with one category. Callers on work threads return them in
// Result<T>; the session turns them into a close reason or a log line. Any context.
#pragma once

#include <system_error>

namespace parley::server {

enum class EngineError {
    kSpeechModelMissing = 1,  // pocketsphinx model files not found
    kDecoderInitFailed,       // ps_init() failed for another reason
    kRecognitionFailed,       // pocketsphinx rejected audio or the utterance
    kUtteranceTooLong,        // more audio than RecognizerConfig::max_utterance_ms
    kUtteranceClosed,         // feed()/finish() after finish() or cancel()
    kVoiceUnavailable,        // a flite voice could not be registered
    kSynthesisFailed,         // flite produced no audio
    kResampleFailed,          // 16 -> 24 kHz conversion failed
    kCancelled,               // the caller's cancel flag was set
    kBrainFailed,             // a reply backend failed (generic)
};

const std::error_category& engine_category() noexcept;

inline std::error_code make_error_code(EngineError e) noexcept {
    return {static_cast<int>(e), engine_category()};
}

}  // namespace parley::server

template <>
struct std::is_error_code_enum<parley::server::EngineError> : std::true_type {};
