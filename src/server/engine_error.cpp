// SPDX-License-Identifier: Apache-2.0
#include "server/engine_error.hpp"

#include <string>

namespace parley::server {
namespace {

class EngineCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.server.engine"; }

    std::string message(int value) const override {
        switch (static_cast<EngineError>(value)) {
            case EngineError::kSpeechModelMissing:
                return "speech recognition model not found: install pocketsphinx-en-us "
                       "(apt-get install pocketsphinx-en-us) or set the model directory";
            case EngineError::kDecoderInitFailed:
                return "pocketsphinx could not load its model: check the model directory";
            case EngineError::kRecognitionFailed:
                return "pocketsphinx rejected the audio: this utterance is lost, start a new one";
            case EngineError::kUtteranceTooLong:
                return "utterance longer than the recognizer's limit: end the turn sooner";
            case EngineError::kUtteranceClosed:
                return "utterance already finished or cancelled: start a new one";
            case EngineError::kVoiceUnavailable:
                return "flite voice could not be loaded: reinstall flite";
            case EngineError::kSynthesisFailed:
                return "flite produced no audio for this text";
            case EngineError::kResampleFailed:
                return "could not resample synthesized speech to 24 kHz";
            case EngineError::kCancelled:
                return "cancelled by the caller";
            case EngineError::kBrainFailed:
                return "the reply backend failed: check its log lines";
        }
        return "unknown engine error";
    }
};

}  // namespace

const std::error_category& engine_category() noexcept {
    static const EngineCategory category;
    return category;
}

}  // namespace parley::server
