// SPDX-License-Identifier: Apache-2.0
// EchoCanceller CPU cost per mode: one minute of 16 kHz audio (6000 frames of 10 ms; far end and
// a reverberant echo of it made here from seeded noise shaped like speech syllables), processed
// with analyze_render + process_capture per frame. The reported time is per minute of audio;
// real_time_fraction = CPU seconds / 60 s. Run: build-*/bench/echo_canceller_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "dsp/echo_canceller.hpp"
#include "dsp/echo_gate.hpp"
#include "dsp/frame.hpp"

namespace {

using parley::dsp::EchoCanceller;
using parley::dsp::EchoMode;
constexpr std::size_t kFrame = parley::dsp::kInputFrameSamples;
constexpr std::size_t kMinuteSamples = 60 * 16000;

struct Signals {
    std::vector<std::int16_t> far;
    std::vector<std::int16_t> mic;
};

// Noise bursts of 150-400 ms with pauses (speech-like activity), and an echo: 60 ms delay, an
// exponentially decaying tail (RT60 ~300 ms, sparse taps), -10 dB.
const Signals& signals() {
    static const Signals s = [] {
        Signals out;
        std::mt19937 rng(7);
        std::normal_distribution<double> gauss(0.0, 3000.0);
        std::uniform_int_distribution<int> len(2400, 6400);
        out.far.resize(kMinuteSamples);
        std::size_t pos = 0;
        bool on = true;
        double lp = 0.0;
        while (pos < kMinuteSamples) {
            const auto n = static_cast<std::size_t>(len(rng));
            for (std::size_t i = 0; i < n && pos < kMinuteSamples; ++i, ++pos) {
                lp = 0.7 * lp + 0.3 * gauss(rng);
                out.far[pos] = on ? static_cast<std::int16_t>(lp) : 0;
            }
            on = !on;
        }
        std::vector<double> echo(kMinuteSamples, 0.0);
        for (int tap = 0; tap < 4800; tap += 7) {
            const double g = 0.3 * std::exp(-6.9 * tap / 4800.0) * ((tap / 7) % 2 ? 1 : -1);
            for (std::size_t i = 960 + tap; i < kMinuteSamples; ++i)
                echo[i] += g * out.far[i - 960 - tap];
        }
        out.mic.resize(kMinuteSamples);
        for (std::size_t i = 0; i < kMinuteSamples; ++i)
            out.mic[i] = static_cast<std::int16_t>(std::clamp(echo[i] * 0.3, -32768.0, 32767.0));
        return out;
    }();
    return s;
}

void BM_EchoCancellerMinute(benchmark::State& state) {
    const auto mode = static_cast<EchoMode>(state.range(0));
    const Signals& s = signals();
    std::vector<std::int16_t> out(kFrame);
    for (auto _ : state) {
        auto aec = EchoCanceller::create({.mode = mode, .stream_delay_ms = 60});
        if (!aec) {
            state.SkipWithError("create failed");
            return;
        }
        for (std::size_t pos = 0; pos + kFrame <= kMinuteSamples; pos += kFrame) {
            aec->analyze_render(std::span(s.far).subspan(pos, kFrame));
            aec->process_capture(std::span(s.mic).subspan(pos, kFrame), out);
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetLabel(std::string(parley::dsp::echo_mode_name(mode)));
    state.counters["real_time_fraction"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * 60.0,
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_EchoCancellerMinute)
    ->DenseRange(static_cast<int>(EchoMode::kOff), static_cast<int>(EchoMode::kWebrtcHigh))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_EchoGateMinute(benchmark::State& state) {
    const Signals& s = signals();
    std::vector<std::int16_t> sent(kFrame);
    for (auto _ : state) {
        parley::dsp::EchoGate gate;
        for (std::size_t pos = 0; pos + kFrame <= kMinuteSamples; pos += kFrame) {
            const auto mic = std::span(s.mic).subspan(pos, kFrame);
            gate.process(std::span(s.far).subspan(pos, kFrame), mic, mic);
            std::copy(mic.begin(), mic.end(), sent.begin());
            gate.duck(sent);
        }
        benchmark::DoNotOptimize(sent.data());
    }
}
BENCHMARK(BM_EchoGateMinute)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
BENCHMARK_MAIN();
