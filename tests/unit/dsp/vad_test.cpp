// SPDX-License-Identifier: Apache-2.0
#include "dsp/vad.hpp"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "dsp/error.hpp"
#include "dsp/frame.hpp"
#include "support/flite_speech.hpp"
#include "support/test_audio.hpp"

namespace parley::dsp {
namespace {

constexpr std::size_t kFrame = samples_per_frame(16000);

// Share of frames the Vad marks as speech in [begin, end) samples.
double speech_share(Vad& vad, const test::Samples& x, std::size_t begin, std::size_t end) {
    int speech = 0;
    int frames = 0;
    for (std::size_t pos = 0; pos + kFrame <= x.size(); pos += kFrame) {
        const bool v = vad.process(std::span(x).subspan(pos, kFrame));
        if (pos >= begin && pos < end) {
            speech += v ? 1 : 0;
            ++frames;
        }
    }
    return frames == 0 ? 0.0 : static_cast<double>(speech) / frames;
}

TEST(VadTest, RejectsUnsupportedConfig) {
    EXPECT_EQ(Vad::create({.sample_rate_hz = 48000}).error(), DspError::kInvalidRate);
    EXPECT_EQ(Vad::create({.min_voicing = 1.5}).error(), DspError::kInvalidArgument);
    EXPECT_EQ(Vad::create({.min_level_above_background_db = -1}).error(), DspCondition::kBadConfig);
    EXPECT_TRUE(Vad::create().has_value());
}

TEST(VadTest, MarksSpeechAndNotSilence) {
    const auto speech =
        test::pad(test::speak("The quick brown fox jumps over the lazy dog."), 16000, 16000);
    const auto [onset, end] = test::active_range(speech, 16000);
    auto vad = Vad::create();
    ASSERT_TRUE(vad.has_value());
    // Runs of voiced speech are marked; the silence around them is not.
    EXPECT_GT(speech_share(*vad, speech, onset, end), 0.4);
    vad->reset();
    EXPECT_EQ(speech_share(*vad, speech, 0, onset), 0.0);
    vad->reset();
    EXPECT_EQ(speech_share(*vad, speech, end + 1600, speech.size()), 0.0);
    const VadFeatures& f = vad->last_features();
    EXPECT_FALSE(f.is_speech);
}

TEST(VadTest, ResetGivesTheSameDecisionsAgain) {
    const auto speech = test::pad(test::speak("Testing one two three."), 8000, 8000);
    auto vad = Vad::create();
    ASSERT_TRUE(vad.has_value());
    std::vector<bool> first;
    std::vector<bool> second;
    for (std::size_t pos = 0; pos + kFrame <= speech.size(); pos += kFrame) {
        first.push_back(vad->process(std::span(speech).subspan(pos, kFrame)));
    }
    vad->reset();
    for (std::size_t pos = 0; pos + kFrame <= speech.size(); pos += kFrame) {
        second.push_back(vad->process(std::span(speech).subspan(pos, kFrame)));
    }
    EXPECT_EQ(first, second);
}

// Why Vad does not simply forward webrtc's decision: on loud noise alone webrtc-audio-processing
// 0.3's detector (behind its high-pass filter, as Vad runs it) reports voice on most frames
// (81 % here), and no frame of that noise passes our own features.
TEST(VadTest, WebrtcDetectorAloneFiresOnNoiseButVadDoesNot) {
    const auto noise = test::pink_noise(16000 * 5, 3000.0, 9);
    auto webrtc_only = Vad::create({.min_level_above_background_db = 0,
                                    .min_voicing = 0,
                                    .min_spectral_change = 0,
                                    .min_pitch_drift = 0});
    auto vad = Vad::create();
    ASSERT_TRUE(webrtc_only && vad);
    // After 1 s of settling.
    EXPECT_GT(speech_share(*webrtc_only, noise, 16000, noise.size()), 0.05);
    EXPECT_EQ(speech_share(*vad, noise, 16000, noise.size()), 0.0);
}

}  // namespace
}  // namespace parley::dsp
