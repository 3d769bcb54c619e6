// SPDX-License-Identifier: Apache-2.0
// Protocol hot path: one 20 ms audio message each way, as the client sends it (16 kHz
// realtimeInput, 640 bytes PCM) and as the server sends it (24 kHz serverContent, 960 bytes PCM).
// Bytes processed = PCM bytes. The wire_bytes_per_audio_s counters give the bandwidth of 16 kHz
// input sent as 20 ms and as 100 ms messages.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/audio.hpp"
#include "protocol/base64.hpp"
#include "protocol/codec.hpp"

namespace {

using namespace parley::protocol;

std::vector<std::int16_t> tone(std::size_t samples) {
    std::vector<std::int16_t> out(samples);
    for (std::size_t i = 0; i < samples; ++i) {
        out[i] = static_cast<std::int16_t>(9000 * std::sin(0.0785 * static_cast<double>(i)));
    }
    return out;
}

constexpr std::size_t kInput20msSamples = 16000 / 50;   // 320 samples, 640 bytes
constexpr std::size_t kOutput20msSamples = 24000 / 50;  // 480 samples, 960 bytes

void BM_EncodeAudioInput20ms(benchmark::State& state) {
    const auto pcm = tone(kInput20msSamples);
    for (auto _ : state) benchmark::DoNotOptimize(encode_audio_input(pcm));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 640);
}
BENCHMARK(BM_EncodeAudioInput20ms);

void BM_EncodeAudioInput20msViaStruct(benchmark::State& state) {
    const auto pcm = tone(kInput20msSamples);
    for (auto _ : state) benchmark::DoNotOptimize(encode_client_message(make_audio_input(pcm)));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 640);
}
BENCHMARK(BM_EncodeAudioInput20msViaStruct);

void BM_DecodeAudioInput20ms(benchmark::State& state) {
    const std::string wire = encode_audio_input(tone(kInput20msSamples));
    for (auto _ : state) {
        auto m = decode_client_message(wire);
        if (!m)
            state.SkipWithError("decode failed");
        benchmark::DoNotOptimize(m);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 640);
}
BENCHMARK(BM_DecodeAudioInput20ms);

void BM_EncodeServerAudio20ms(benchmark::State& state) {
    const auto pcm = tone(kOutput20msSamples);
    for (auto _ : state) benchmark::DoNotOptimize(encode_server_message(make_audio_output(pcm)));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 960);
}
BENCHMARK(BM_EncodeServerAudio20ms);

void BM_DecodeServerAudio20ms(benchmark::State& state) {
    const std::string wire = encode_server_message(make_audio_output(tone(kOutput20msSamples)));
    for (auto _ : state) {
        auto m = decode_server_message(wire);
        if (!m)
            state.SkipWithError("decode failed");
        benchmark::DoNotOptimize(m);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 960);
}
BENCHMARK(BM_DecodeServerAudio20ms);

void BM_Base64Encode640(benchmark::State& state) {
    const auto pcm = make_pcm16_blob(tone(kInput20msSamples), 16000);
    for (auto _ : state) benchmark::DoNotOptimize(base64_encode(pcm.data));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 640);
}
BENCHMARK(BM_Base64Encode640);

void BM_Base64Decode640(benchmark::State& state) {
    const std::string text = base64_encode(make_pcm16_blob(tone(kInput20msSamples), 16000).data);
    std::vector<std::uint8_t> out;
    for (auto _ : state) {
        benchmark::DoNotOptimize(base64_decode(text, out));
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 640);
}
BENCHMARK(BM_Base64Decode640);

// Bandwidth of 16 kHz PCM16 input on the wire (JSON text, before WebSocket framing).
void BM_WireBytesPerAudioSecond(benchmark::State& state) {
    const auto chunk_ms = static_cast<std::size_t>(state.range(0));
    const std::string wire = encode_audio_input(tone(16 * chunk_ms));
    for (auto _ : state) benchmark::DoNotOptimize(wire.size());
    const double messages_per_s = 1000.0 / static_cast<double>(chunk_ms);
    state.counters["wire_bytes_per_msg"] = static_cast<double>(wire.size());
    state.counters["wire_bytes_per_audio_s"] = static_cast<double>(wire.size()) * messages_per_s;
    state.counters["pcm_bytes_per_audio_s"] = 32000;
}
BENCHMARK(BM_WireBytesPerAudioSecond)->Arg(20)->Arg(100)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
