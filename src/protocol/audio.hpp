// SPDX-License-Identifier: Apache-2.0
// Audio blob helpers for the Live API: PCM16 LE mono samples <-> Blob / realtimeInput audio
// messages, and the `rate=` parameter of a blob's mimeType. The client's send path (io) calls
// encode_audio_input every 20-100 ms; the local server builds output chunks with
// make_audio_output. Pure functions, any context.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/client_message.hpp"
#include "protocol/server_message.hpp"

namespace parley::protocol {

inline constexpr int kInputRateHz = 16000;   // what the Live API expects from the client
inline constexpr int kOutputRateHz = 24000;  // what it sends back

// "audio/pcm;rate=<rate_hz>".
[[nodiscard]] std::string pcm_mime_type(int rate_hz);

// The sample rate named by a mimeType's `rate=` parameter ("audio/pcm;rate=16000" -> 16000),
// or `default_rate_hz` when there is none or it is not a positive integer.
[[nodiscard]] int pcm_rate_hz(std::string_view mime_type, int default_rate_hz = kOutputRateHz);

// Little-endian bytes of `samples`, with mimeType "audio/pcm;rate=<rate_hz>".
[[nodiscard]] Blob make_pcm16_blob(std::span<const std::int16_t> samples, int rate_hz);

// Samples from little-endian PCM16 bytes; an odd trailing byte is dropped.
[[nodiscard]] std::vector<std::int16_t> pcm16_samples(std::span<const std::uint8_t> bytes);

// {"realtimeInput":{"audio":...}} as a struct.
[[nodiscard]] RealtimeInput make_audio_input(std::span<const std::int16_t> samples,
                                             int rate_hz = kInputRateHz);

// The same message encoded straight to wire text, without the intermediate Blob; byte-identical
// to encode_client_message(make_audio_input(samples, rate_hz)).
[[nodiscard]] std::string encode_audio_input(std::span<const std::int16_t> samples,
                                             int rate_hz = kInputRateHz);

// {"serverContent":{"modelTurn":{"parts":[{"inlineData":{"mimeType":...,"data":...}}]}}}.
[[nodiscard]] ServerMessage make_audio_output(std::span<const std::int16_t> samples,
                                              int rate_hz = kOutputRateHz);

}  // namespace parley::protocol
