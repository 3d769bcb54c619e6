// SPDX-License-Identifier: Apache-2.0
#include "server_load_prompts.hpp"

#include <array>
#include <cctype>
#include <sstream>

#include "protocol/audio.hpp"
#include "support/flite_speech.hpp"
#include "support/test_audio.hpp"

namespace parley::bench {
namespace {

constexpr int kRateHz = 16000;

std::size_t chunk_samples(int chunk_ms) {
    return static_cast<std::size_t>(kRateHz / 1000 * chunk_ms);
}

constexpr std::array<const char*, 19> kNumberWords{
    "two",     "three",     "four",     "five",     "six",      "seven",    "eight",
    "nine",    "ten",       "eleven",   "twelve",   "thirteen", "fourteen", "fifteen",
    "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};

}  // namespace

Prompt make_prompt(const std::string& text, int chunk_ms) {
    const auto speech = test::speak(text);
    const auto [begin, end] = test::active_range(speech, kRateHz);
    const std::span<const std::int16_t> active(speech.data() + begin, end - begin);
    const auto per_chunk = chunk_samples(chunk_ms);
    const auto lead = (per_chunk - active.size() % per_chunk) % per_chunk;
    const auto padded = test::pad(active, lead, 0);

    Prompt prompt;
    prompt.text = normalize_words(text);
    prompt.speech = std::chrono::milliseconds(active.size() * 1000 / kRateHz);
    for (std::size_t at = 0; at < padded.size(); at += per_chunk) {
        prompt.chunks.push_back(
            protocol::encode_audio_input(std::span(padded).subspan(at, per_chunk), kRateHz));
    }
    prompt.audio = padded;
    prompt.lead = lead;
    return prompt;
}

std::vector<std::string> background_chunks(int chunk_ms, double noise_rms) {
    const auto per_chunk = chunk_samples(chunk_ms);
    const auto count = static_cast<std::size_t>(1000 / chunk_ms);
    const auto sound = noise_rms > 0 ? test::white_noise(per_chunk * count, noise_rms, 7)
                                     : test::silence(per_chunk * count);
    std::vector<std::string> chunks;
    for (std::size_t i = 0; i < count; ++i) {
        chunks.push_back(protocol::encode_audio_input(
            std::span(sound).subspan(i * per_chunk, per_chunk), kRateHz));
    }
    return chunks;
}

std::vector<std::string> arithmetic_questions(std::size_t count, const std::string& preamble) {
    std::vector<std::string> questions;
    questions.reserve(count);
    // Walks the (a, b) pairs in an order that varies both numbers from one question to the next.
    const auto n = kNumberWords.size();
    for (std::size_t i = 0; questions.size() < count; ++i) {
        const auto a = (i * 7 + 3) % n;
        const auto b = (i * 5 + 1 + i / n) % n;
        questions.push_back(preamble + "what is " + kNumberWords[a] + " times " + kNumberWords[b]);
    }
    return questions;
}

std::string normalize_words(const std::string& text) {
    std::string cleaned;
    cleaned.reserve(text.size());
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        cleaned += std::isalnum(u) != 0 ? static_cast<char>(std::tolower(u)) : ' ';
    }
    std::istringstream in(cleaned);
    std::string out;
    for (std::string word; in >> word;) {
        if (!out.empty())
            out += ' ';
        out += word;
    }
    return out;
}

}  // namespace parley::bench
