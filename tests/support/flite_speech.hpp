// SPDX-License-Identifier: Apache-2.0
// Test speech from flite 2.2 (C API): speak("hello there") gives 16 kHz mono PCM16 in the
// slt, rms or awb voice, which pocketsphinx reads back word for word. Thread-safe (flite is not:
// calls are serialized). Test code only.
#pragma once

#include <string_view>

#include "support/test_audio.hpp"

namespace parley::test {

enum class Voice { kSlt, kRms, kAwb };

// Sample rate of everything speak() returns.
inline constexpr int kSpeechRateHz = 16000;

// Synthesizes `text` (plain English; punctuation gives natural pauses). Never empty for
// non-empty text; aborts the test binary if flite fails, since every test using it would be
// meaningless.
[[nodiscard]] Samples speak(std::string_view text, Voice voice = Voice::kSlt);

[[nodiscard]] const char* voice_name(Voice voice);

}  // namespace parley::test
