// SPDX-License-Identifier: Apache-2.0
// dsp::Resampler cost per 10 ms of audio for the conversions a client makes at the device edge
// (soxr HQ, 16-bit in and out): range(0) Hz -> range(1) Hz, one 10 ms block per iteration; and
// the echo reference's, by dsp::ReferenceReader, which adds a variable ratio (set again every
// block) when playback runs on a clock of its own.
// Run: build-*/bench/resampler_bench
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "dsp/frame.hpp"
#include "dsp/frame_ring.hpp"
#include "dsp/reference_reader.hpp"
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
    ->Args({44100, 16000})
    ->Args({16000, 24000})
    ->Args({24000, 48000})
    ->Args({16000, 16000});

// One 10 ms block of the echo reference off its ring at range(0) Hz to 16 kHz, reading it at
// its own pace (range(1) == 0) or following the capture clock 300 ppm away (range(1) == 1).
void BM_ReferenceRead10Ms(benchmark::State& state) {
    const auto ring_hz = static_cast<int>(state.range(0));
    auto reader = parley::dsp::ReferenceReader::create(ring_hz, state.range(1) != 0);
    if (!reader) {
        state.SkipWithError("ReferenceReader::create failed");
        return;
    }
    parley::dsp::FrameRing ring(static_cast<std::size_t>(ring_hz));
    std::vector<std::int16_t> block(parley::dsp::samples_per_frame(ring_hz) + 1);
    for (std::size_t i = 0; i < block.size(); ++i)
        block[i] = static_cast<std::int16_t>(8000.0 * std::sin(0.05 * static_cast<double>(i)));
    std::vector<std::int16_t> out;
    out.reserve(4 * block.size());
    double backlog_ms = 30.0;
    for (auto _ : state) {
        ring.write(std::span(block).first(reader->next_block_samples()));
        out.clear();
        (void)reader->read(ring, &out);
        backlog_ms += 0.003;  // 300 ppm
        reader->steer(backlog_ms, 0.0);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_ReferenceRead10Ms)
    ->Args({48000, 0})
    ->Args({48000, 1})
    ->Args({44100, 0})
    ->Args({44100, 1})
    ->Args({16000, 0})
    ->Args({16000, 1});

}  // namespace

BENCHMARK_MAIN();
