// SPDX-License-Identifier: Apache-2.0
// Tests of tests/support (parley_test_support): the fixtures every audio test relies on.
#include "support/test_audio.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "support/flite_speech.hpp"

namespace parley::test {
namespace {

// Energy in a band by a direct DFT over a few bins: enough for a spectral-tilt check.
double band_energy(const Samples& x, int rate_hz, double lo_hz, double hi_hz) {
    const std::size_t n = 4096;
    double total = 0.0;
    for (double f = lo_hz; f < hi_hz; f += rate_hz / static_cast<double>(n)) {
        double re = 0.0;
        double im = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double a = 2.0 * 3.141592653589793 * f * static_cast<double>(i) / rate_hz;
            re += x[i] * std::cos(a);
            im -= x[i] * std::sin(a);
        }
        total += re * re + im * im;
    }
    return total / (hi_hz - lo_hz);
}

TEST(TestSupportTest, SpeakGivesSpeechInEveryVoice) {
    for (Voice voice : {Voice::kSlt, Voice::kRms, Voice::kAwb}) {
        SCOPED_TRACE(voice_name(voice));
        const auto speech = speak("Hello there, how are you today?", voice);
        // About 1.5-3 s of speech at 16 kHz.
        EXPECT_GT(speech.size(), ms_to_samples(1200, kSpeechRateHz));
        EXPECT_LT(speech.size(), ms_to_samples(4000, kSpeechRateHz));
        EXPECT_GT(rms_dbfs(speech), -35.0);
        const auto [first, last] = active_range(speech, kSpeechRateHz);
        EXPECT_LT(first, last);
    }
    EXPECT_TRUE(speak("").empty());
}

TEST(TestSupportTest, NoiseHasRequestedLevelAndColour) {
    const auto white = white_noise(48000, 1000.0);
    const auto pink = pink_noise(48000, 1000.0);
    EXPECT_NEAR(rms(white), 1000.0, 5.0);
    EXPECT_NEAR(rms(pink), 1000.0, 5.0);
    EXPECT_NE(white_noise(100, 1000.0, 1), white_noise(100, 1000.0, 2));
    EXPECT_EQ(white_noise(100, 1000.0, 7), white_noise(100, 1000.0, 7));
    // White is flat; pink falls ~3 dB/octave, so 200-400 Hz is well above 3.2-6.4 kHz.
    const double white_tilt_db = 10 * std::log10(band_energy(white, 16000, 200, 400) /
                                                 band_energy(white, 16000, 3200, 6400));
    const double pink_tilt_db =
        10 * std::log10(band_energy(pink, 16000, 200, 400) / band_energy(pink, 16000, 3200, 6400));
    EXPECT_NEAR(white_tilt_db, 0.0, 3.0);
    EXPECT_GT(pink_tilt_db, 6.0);
}

TEST(TestSupportTest, MusicIsSustainedAndChanging) {
    const auto m = music(ms_to_samples(5000, 16000), 16000, 500.0);
    EXPECT_NEAR(rms(m), 500.0, 5.0);
    // Sustained: no 100 ms window is silent; changing: window levels differ.
    double lo = 1e9;
    double hi = 0.0;
    for (std::size_t pos = 0; pos + 1600 <= m.size(); pos += 1600) {
        const double r = rms(std::span(m).subspan(pos, 1600));
        lo = std::min(lo, r);
        hi = std::max(hi, r);
    }
    EXPECT_GT(lo, 50.0);
    EXPECT_GT(hi / lo, 1.5);
}

TEST(TestSupportTest, MixAtSnrHitsTheTargetSnr) {
    const auto speech = pad(speak("Testing one two three."), 16000, 16000);
    const auto noise = white_noise(20000, 300.0);  // shorter than the speech: gets looped
    for (double snr_db : {15.0, 5.0, 0.0}) {
        SCOPED_TRACE(snr_db);
        const auto mixed = mix_at_snr(speech, noise, snr_db);
        ASSERT_EQ(mixed.size(), speech.size());
        // The padding holds only noise: its level against the speech's active level is the SNR.
        const double noise_only = rms(std::span(mixed).first(16000));
        EXPECT_NEAR(amplitude_db(active_rms(speech, 16000) / noise_only), snr_db, 0.3);
    }
}

TEST(TestSupportTest, PadConcatAddScale) {
    const Samples x = {1, 2, 3};
    EXPECT_EQ(pad(x, 2, 1), (Samples{0, 0, 1, 2, 3, 0}));
    EXPECT_EQ(concat({x, x}), (Samples{1, 2, 3, 1, 2, 3}));
    EXPECT_EQ(add(x, Samples{32767, 1}), (Samples{32767, 3, 3}));
    EXPECT_EQ(scale(x, -2.0), (Samples{-2, -4, -6}));
    EXPECT_EQ(rms_dbfs(silence(10)), -200.0);
}

TEST(TestSupportTest, WriteWavWritesAValidHeader) {
    const auto path = std::filesystem::temp_directory_path() / "parley_test_support_test.wav";
    const Samples x = {0, 1000, -1000, 32767};
    ASSERT_TRUE(write_wav(path.string(), x, 16000));
    std::ifstream f(path, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(f), {}};
    ASSERT_EQ(bytes.size(), 44u + 8u);
    EXPECT_EQ(std::string(bytes.data(), 4), "RIFF");
    EXPECT_EQ(std::string(bytes.data() + 8, 8), "WAVEfmt ");
    EXPECT_EQ(static_cast<unsigned char>(bytes[24]) | (static_cast<unsigned char>(bytes[25]) << 8),
              16000 & 0xffff);
    EXPECT_FALSE(write_wav("/nonexistent-dir/x.wav", x, 16000));
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace parley::test
