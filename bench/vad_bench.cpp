// SPDX-License-Identifier: Apache-2.0
// dsp::Vad::process cost per 10 ms frame (16 kHz), the server's per-session turn-detection cost:
// a microphone at background level (white noise at RMS 10, what server_load sends between
// questions; and digital zeros), and speech (flite slt, resampled to 16 kHz, over the same
// noise). Each benchmark runs a Vad over a looped stream after 3 s of warm-up, one frame per
// iteration; `gated` is the share of frames that skipped the full analysis.
// Run: build-*/bench/vad_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "dsp/frame.hpp"
#include "dsp/resampler.hpp"
#include "dsp/vad.hpp"
#include "server/synthesizer.hpp"

namespace {

using parley::dsp::Vad;
constexpr std::size_t kFrame = parley::dsp::kInputFrameSamples;
constexpr std::size_t kRateHz = 16000;

std::vector<std::int16_t> noise(std::size_t samples, double rms, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> gauss(0.0, rms);
    std::vector<std::int16_t> out(samples);
    for (auto& s : out) s = static_cast<std::int16_t>(gauss(rng));
    return out;
}

// Continuous speech (sentences back to back with their natural pauses) over white noise at
// RMS 10, about 20 s.
const std::vector<std::int16_t>& speech() {
    static const std::vector<std::int16_t> audio = [] {
        auto synthesizer = parley::server::Synthesizer::create();
        std::vector<std::int16_t> out;
        if (!synthesizer)
            return out;
        const char* lines[] = {
            "Could you tell me what is twelve times seven?",
            "Once upon a time there was a little robot who wanted to learn how to sing.",
            "It practised every morning, and by the end of the summer it knew every song.",
            "What time is it in Paris, and will it rain tomorrow?",
        };
        for (const char* line : lines) {
            auto pcm = synthesizer->synthesize(line, parley::server::FliteVoice::kSlt);
            if (!pcm)
                continue;
            const auto pcm_16k =
                parley::dsp::resample(*pcm, parley::server::Synthesizer::kOutputRateHz, kRateHz);
            out.insert(out.end(), pcm_16k.begin(), pcm_16k.end());
        }
        const auto bed = noise(out.size(), 10.0, 3);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = static_cast<std::int16_t>(out[i] + bed[i]);
        out.resize(out.size() / kFrame * kFrame);
        return out;
    }();
    return audio;
}

void run(benchmark::State& state, const std::vector<std::int16_t>& stream) {
    if (stream.size() < kFrame) {
        state.SkipWithError("no audio (flite voices missing?)");
        return;
    }
    auto vad = Vad::create();
    if (!vad) {
        state.SkipWithError("Vad::create failed");
        return;
    }
    const std::size_t frames = stream.size() / kFrame;
    std::size_t next = 0;
    auto frame_at = [&](std::size_t i) {
        return std::span(stream).subspan((i % frames) * kFrame, kFrame);
    };
    for (std::size_t i = 0; i < 300; ++i) benchmark::DoNotOptimize(vad->process(frame_at(next++)));
    std::int64_t gated = 0;
    std::int64_t speech_frames = 0;
    for (auto _ : state) {
        const bool is_speech = vad->process(frame_at(next++));
        benchmark::DoNotOptimize(is_speech);
        gated += vad->last_features().analysed ? 0 : 1;
        speech_frames += is_speech ? 1 : 0;
    }
    const auto n = static_cast<double>(state.iterations());
    state.counters["gated"] = static_cast<double>(gated) / n;
    state.counters["speech"] = static_cast<double>(speech_frames) / n;
}

void BM_VadBackgroundNoise(benchmark::State& state) {
    static const auto stream = noise(kRateHz * 10, 10.0, 1);
    run(state, stream);
}
BENCHMARK(BM_VadBackgroundNoise);

void BM_VadDigitalSilence(benchmark::State& state) {
    static const std::vector<std::int16_t> stream(kRateHz * 10, 0);
    run(state, stream);
}
BENCHMARK(BM_VadDigitalSilence);

void BM_VadSpeech(benchmark::State& state) {
    run(state, speech());
}
BENCHMARK(BM_VadSpeech);

// What a server with many sessions pays: range(0) Vads, each at its own place in the speech
// stream, take turns with one 20 ms message (two frames) each, so every Vad's state has left the
// cache before its next turn. Time per iteration is per message; compare with 1 session.
void BM_VadSpeechSessions(benchmark::State& state) {
    const auto& stream = speech();
    if (stream.size() < kFrame) {
        state.SkipWithError("no audio (flite voices missing?)");
        return;
    }
    const auto sessions = static_cast<std::size_t>(state.range(0));
    const std::size_t frames = stream.size() / kFrame;
    std::vector<Vad> vads;
    std::vector<std::size_t> next(sessions);
    for (std::size_t s = 0; s < sessions; ++s) {
        auto vad = Vad::create();
        if (!vad) {
            state.SkipWithError("Vad::create failed");
            return;
        }
        vads.push_back(std::move(*vad));
        next[s] = s * 37 % frames;
    }
    auto step = [&](std::size_t s) {
        for (int i = 0; i < 2; ++i) {
            const auto frame = std::span(stream).subspan((next[s]++ % frames) * kFrame, kFrame);
            benchmark::DoNotOptimize(vads[s].process(frame));
        }
    };
    for (std::size_t round = 0; round < 150; ++round) {
        for (std::size_t s = 0; s < sessions; ++s) step(s);
    }
    std::size_t s = 0;
    for (auto _ : state) {
        step(s);
        s = s + 1 == sessions ? 0 : s + 1;
    }
}
BENCHMARK(BM_VadSpeechSessions)->Arg(1)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
