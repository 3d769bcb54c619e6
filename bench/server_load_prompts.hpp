// SPDX-License-Identifier: Apache-2.0
// Prompt: one spoken question for the server load generator (bench/server_load.cpp), made once
// with flite and pre-encoded as the realtimeInput messages a paced microphone would send, so the
// load generator's io thread only copies bytes. Built on the main thread before the run starts.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::bench {

struct Prompt {
    std::string text;                 // what is said, lower-case words
    std::vector<std::string> chunks;  // encoded {"realtimeInput":{"audio":...}} messages, in order
    // Speech runs from somewhere in the first chunk to the very last sample of the last chunk
    // (silence is added in front so the end of speech falls on a chunk boundary).
    std::chrono::milliseconds speech{0};
    std::vector<std::int16_t> audio;  // the samples of `chunks`: `lead` zeros, then the speech
    std::size_t lead = 0;
};

// Speaks `text` (flite, 16 kHz), trims it to its active range and cuts it into `chunk_ms` messages.
[[nodiscard]] Prompt make_prompt(const std::string& text, int chunk_ms);

// One second of background sound between prompts as encoded chunks: white noise with RMS
// `noise_rms` (sample units; about -70 dBFS at 10, like a quiet room through a microphone), or
// digital silence at 0. A real microphone never sends zeros, and the server's Vad costs more
// on noise than on zeros.
[[nodiscard]] std::vector<std::string> background_chunks(int chunk_ms, double noise_rms);

// "what is seven times eight"-style questions with number words, `count` of them, all different.
// `preamble` goes in front ("could you tell me " makes them about two seconds long).
[[nodiscard]] std::vector<std::string> arithmetic_questions(std::size_t count,
                                                            const std::string& preamble = "");

// Lower-case words separated by single spaces, punctuation dropped: to compare what the server
// heard (inputTranscription) with what was said.
[[nodiscard]] std::string normalize_words(const std::string& text);

}  // namespace parley::bench
