// SPDX-License-Identifier: Apache-2.0
#include "dsp/level.hpp"

#include <cmath>

namespace parley::dsp {

double energy_dbfs(std::span<const std::int16_t> pcm) {
    constexpr double kFullScaleEnergy = 32768.0 * 32768.0;
    double sum = 0.0;
    for (const std::int16_t s : pcm) sum += static_cast<double>(s) * s;
    const double mean = pcm.empty() ? 0.0 : sum / static_cast<double>(pcm.size());
    return mean > 0.0 ? 10.0 * std::log10(mean / kFullScaleEnergy) : -200.0;
}

}  // namespace parley::dsp
