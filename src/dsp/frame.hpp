// SPDX-License-Identifier: Apache-2.0
// Frame constants: every dsp stage (echo canceller, VAD, noise suppression) works on fixed 10 ms
// frames of mono PCM16; device buffers of any size are re-blocked into them. The rates of the
// Live API path are here too. Compile-time only; any context.
#pragma once

#include <cstddef>

namespace parley::dsp {

inline constexpr int kFrameMs = 10;

// Rates of the Live API audio path: microphone audio is sent at 16 kHz, model audio arrives at
// 24 kHz (LIVE_PROTOCOL.md).
inline constexpr int kInputRateHz = 16000;
inline constexpr int kOutputRateHz = 24000;

// Samples in one 10 ms frame at `rate_hz` (rates that are a multiple of 100 Hz divide exactly;
// 44.1 kHz gives 441).
[[nodiscard]] constexpr std::size_t samples_per_frame(int rate_hz) {
    return static_cast<std::size_t>(rate_hz) * kFrameMs / 1000;
}

inline constexpr std::size_t kInputFrameSamples = samples_per_frame(kInputRateHz);    // 160
inline constexpr std::size_t kOutputFrameSamples = samples_per_frame(kOutputRateHz);  // 240

// Converts between sample counts and milliseconds at a rate.
[[nodiscard]] constexpr double samples_to_ms(double samples, int rate_hz) {
    return samples * 1000.0 / rate_hz;
}
[[nodiscard]] constexpr std::size_t ms_to_samples(int ms, int rate_hz) {
    return static_cast<std::size_t>(ms) * static_cast<std::size_t>(rate_hz) / 1000;
}

}  // namespace parley::dsp
