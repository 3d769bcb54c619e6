// SPDX-License-Identifier: Apache-2.0
// Synthesizer: text to speech with flite for the local server, as mono PCM16 at 24 kHz (the
// Live API's output rate; flite speaks at 16 kHz and we resample). Called by the session on a
// work thread, one sentence at a time. synthesize() may run on several threads at once, with
// the same or different voices (checked with helgrind; see synthesizer.cpp).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "server/voice_map.hpp"

namespace parley::server {

class Synthesizer {
public:
    static constexpr int kOutputRateHz = 24000;

    // Registers flite's slt, rms and awb voices, once per process (later calls reuse them).
    // Errors: kVoiceUnavailable.
    [[nodiscard]] static Result<Synthesizer> create();

    // Speaks `text` (UTF-8; characters outside ASCII are read as spaces) and returns PCM16 at
    // kOutputRateHz. Text with nothing to say gives an empty vector. Thread-safe.
    // Errors: kSynthesisFailed.
    [[nodiscard]] Result<std::vector<int16_t>> synthesize(std::string_view text,
                                                          FliteVoice voice) const;

    // About ten seconds of ordinary speech at 16 kHz, one sentence in each voice: what the
    // recognizer decodes once to find the cepstral mean every utterance starts from
    // (RecognizerConfig::calibration). The same samples for the whole process.
    [[nodiscard]] const std::vector<int16_t>& calibration_speech_16k() const;

private:
    Synthesizer() = default;
};

}  // namespace parley::server
