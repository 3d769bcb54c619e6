// SPDX-License-Identifier: Apache-2.0
// energy_dbfs: the level of a block of PCM16 in dB relative to full scale (mean energy), as the
// echo gate and the microphone meter measure it. Any context; no allocation.
#pragma once

#include <cstdint>
#include <span>

namespace parley::dsp {

// 10 log10(mean(x^2) / 32768^2); -200 for digital silence (or no samples).
[[nodiscard]] double energy_dbfs(std::span<const std::int16_t> pcm);

}  // namespace parley::dsp
