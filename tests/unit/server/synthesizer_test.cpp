// SPDX-License-Identifier: Apache-2.0
#include "server/synthesizer.hpp"

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "server/builtin_brain.hpp"

namespace parley::server {
namespace {

double rms(const std::vector<int16_t>& pcm) {
    double sum = 0;
    for (const auto s : pcm) sum += static_cast<double>(s) * s;
    return pcm.empty() ? 0 : std::sqrt(sum / static_cast<double>(pcm.size()));
}

// Zero crossings per second: a crude pitch and timbre fingerprint.
double crossings_per_second(const std::vector<int16_t>& pcm) {
    std::size_t crossings = 0;
    for (std::size_t i = 1; i < pcm.size(); ++i) {
        if ((pcm[i - 1] < 0) != (pcm[i] < 0))
            ++crossings;
    }
    return static_cast<double>(crossings) * Synthesizer::kOutputRateHz /
           static_cast<double>(pcm.size());
}

class SynthesizerTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto created = Synthesizer::create();
        ASSERT_TRUE(created) << created.error().message();
        synth_.emplace(*created);
    }
    std::optional<Synthesizer> synth_;
};

TEST_F(SynthesizerTest, SpeaksAt24kHz) {
    const auto pcm = synth_->synthesize("Hello there, how are you today?", FliteVoice::kSlt);
    ASSERT_TRUE(pcm) << pcm.error().message();
    const double seconds = static_cast<double>(pcm->size()) / Synthesizer::kOutputRateHz;
    // About two seconds of speech at 24 kHz: a 16 kHz buffer would read as 2/3 of that.
    EXPECT_GT(seconds, 1.2);
    EXPECT_LT(seconds, 4.0);
    EXPECT_GT(rms(*pcm), 300.0);
    // Speech energy in 24 kHz samples: most crossings well below 8 kHz.
    EXPECT_LT(crossings_per_second(*pcm), 8000.0);
}

TEST_F(SynthesizerTest, LongerTextGivesLongerSpeech) {
    const auto short_pcm = synth_->synthesize("Hello.", FliteVoice::kRms);
    const auto long_pcm = synth_->synthesize(
        "Hello. This sentence is quite a lot longer than one word.", FliteVoice::kRms);
    ASSERT_TRUE(short_pcm && long_pcm);
    EXPECT_GT(long_pcm->size(), 3 * short_pcm->size());
}

TEST_F(SynthesizerTest, VoicesDiffer) {
    const char* text = "The quick brown fox jumps over the lazy dog.";
    std::vector<std::vector<int16_t>> outputs;
    for (const auto voice : {FliteVoice::kSlt, FliteVoice::kRms, FliteVoice::kAwb}) {
        auto pcm = synth_->synthesize(text, voice);
        ASSERT_TRUE(pcm) << flite_voice_name(voice);
        EXPECT_FALSE(pcm->empty());
        outputs.push_back(std::move(*pcm));
    }
    for (std::size_t a = 0; a < outputs.size(); ++a) {
        for (std::size_t b = a + 1; b < outputs.size(); ++b) EXPECT_NE(outputs[a], outputs[b]);
    }
    // slt (female) has a higher voice than rms (male): more zero crossings.
    EXPECT_GT(crossings_per_second(outputs[0]), crossings_per_second(outputs[1]));
}

TEST_F(SynthesizerTest, NothingToSayGivesNoAudio) {
    for (const char* text : {"", "   ", "...", "\xe2\x80\x94"}) {
        const auto pcm = synth_->synthesize(text, FliteVoice::kSlt);
        ASSERT_TRUE(pcm) << text;
        EXPECT_TRUE(pcm->empty()) << text;
    }
}

TEST_F(SynthesizerTest, NonAsciiTextIsSpokenWithoutIt) {
    const auto pcm = synth_->synthesize("Caf\xc3\xa9 \xe2\x98\x95 is open.", FliteVoice::kSlt);
    ASSERT_TRUE(pcm);
    EXPECT_FALSE(pcm->empty());
}

TEST_F(SynthesizerTest, StoryLastsAtLeastTwentySeconds) {
    BuiltinBrain brain;
    BrainRequest request;
    request.history.push_back(HistoryEntry::user("tell me a story"));
    std::optional<ToolCall> call;
    const auto sentences = brain.compose(request, call);
    ASSERT_FALSE(sentences.empty());
    std::size_t samples = 0;
    for (const auto& sentence : sentences) {
        const auto pcm = synth_->synthesize(sentence, FliteVoice::kSlt);
        ASSERT_TRUE(pcm) << sentence;
        samples += pcm->size();
    }
    EXPECT_GE(samples, 20u * Synthesizer::kOutputRateHz);
}

TEST_F(SynthesizerTest, SeveralThreadsAtOnce) {
    // The same text in the same voice from 4 threads at once, twice per voice: every result
    // must be as long as the one made alone (flite's cg voices use rand(), so samples may differ).
    const char* text = "Twelve times seven is eighty four.";
    std::vector<std::size_t> alone;
    for (const auto voice : {FliteVoice::kSlt, FliteVoice::kRms, FliteVoice::kAwb}) {
        const auto pcm = synth_->synthesize(text, voice);
        ASSERT_TRUE(pcm);
        alone.push_back(pcm->size());
    }
    std::vector<std::vector<std::size_t>> sizes(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < sizes.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 3; ++round) {
                const auto voice =
                    static_cast<FliteVoice>((t + static_cast<std::size_t>(round)) % 3);
                const auto pcm = synth_->synthesize(text, voice);
                sizes[t].push_back(pcm ? pcm->size() : 0);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (std::size_t t = 0; t < sizes.size(); ++t) {
        ASSERT_EQ(sizes[t].size(), 3u);
        for (std::size_t round = 0; round < 3; ++round) {
            EXPECT_EQ(sizes[t][round], alone[(t + round) % 3]) << "thread " << t;
        }
    }
}

}  // namespace
}  // namespace parley::server
