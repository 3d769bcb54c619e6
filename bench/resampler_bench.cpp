// SPDX-License-Identifier: Apache-2.0
// dsp::Resampler cost per 10 ms of audio for the conversions a client makes at the device edge
// (soxr HQ, 16-bit in and out): range(0) Hz -> range(1) Hz, one 10 ms block per iteration.
// Run: build-*/bench/resampler_bench
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "dsp/frame.hpp"
#include "dsp/resampler.hpp"

namespace {

void BM_Resample10Ms(benchmark::State& state) {
    const auto in_hz = static_cast<int>(state.range(0));
    const auto out_hz = static_cast<int>(state.range(1));
    auto resampler = parley::dsp::Resampler::create(in_hz, out_hz);
    if (!resampler) {
        state.SkipWithError("Resampler::create failed");
        return;
    }
    std::vector<std::int16_t> block(parley::dsp::samples_per_frame(in_hz));
    for (std::size_t i = 0; i < block.size(); ++i)
        block[i] = static_cast<std::int16_t>(8000.0 * std::sin(0.05 * static_cast<double>(i)));
    std::vector<std::int16_t> out;
    out.reserve(4 * block.size());
    for (auto _ : state) {
        out.clear();
        resampler->process(block, out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_Resample10Ms)
    ->Args({24000, 16000})
    ->Args({48000, 16000})
    ->Args({16000, 24000})
    ->Args({24000, 48000})
    ->Args({16000, 16000});

}  // namespace

BENCHMARK_MAIN();
