// SPDX-License-Identifier: Apache-2.0
#include "dsp/wav_file.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dsp/error.hpp"
#include "support/test_audio.hpp"

namespace parley::dsp {
namespace {

namespace fs = std::filesystem;

class WavFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("parley_wav_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    fs::path dir_;
};

int zero_crossings(const std::vector<std::int16_t>& x) {
    int n = 0;
    for (std::size_t i = 1; i < x.size(); ++i) n += (x[i - 1] < 0) != (x[i] < 0);
    return n;
}

// A 32-bit float WAV written by hand (WAVE_FORMAT_IEEE_FLOAT), to test the refusal.
void write_float_wav(const std::string& p, int rate_hz, int channels, std::size_t frames) {
    std::ofstream f(p, std::ios::binary);
    auto u32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
    const auto data_bytes = static_cast<std::uint32_t>(frames * channels * 4);
    f.write("RIFF", 4);
    u32(36 + data_bytes);
    f.write("WAVEfmt ", 8);
    u32(16);
    u16(3);  // IEEE float
    u16(static_cast<std::uint16_t>(channels));
    u32(static_cast<std::uint32_t>(rate_hz));
    u32(static_cast<std::uint32_t>(rate_hz * channels * 4));
    u16(static_cast<std::uint16_t>(channels * 4));
    u16(32);
    f.write("data", 4);
    u32(data_bytes);
    const float zero = 0.0f;
    for (std::size_t i = 0; i < frames * channels; ++i)
        f.write(reinterpret_cast<const char*>(&zero), 4);
}

TEST_F(WavFileTest, WritesAndReadsMonoPcm16) {
    const auto tone = test::sine(440, 16000, 16000, 8000);
    ASSERT_TRUE(write_wav_mono(path("a.wav"), tone, 16000).has_value());
    auto reader = WavReader::open(path("a.wav"));
    ASSERT_TRUE(reader.has_value());
    EXPECT_EQ(reader->info().sample_rate_hz, 16000);
    EXPECT_EQ(reader->info().channels, 1);
    EXPECT_EQ(reader->info().format, WavSampleFormat::kPcm16);
    EXPECT_EQ(reader->info().frames, tone.size());
    EXPECT_TRUE(reader->expect(16000, 1).has_value());
    auto mono = reader->read_all_mono(16000);
    ASSERT_TRUE(mono.has_value());
    EXPECT_EQ(*mono, tone);
}

TEST_F(WavFileTest, StereoIsDownmixedAndResampled) {
    // Left and right carry the same 440 Hz tone at different gains; written by the independent
    // writer in tests/support.
    const auto left = test::sine(440, 44100, 44100, 10000);
    std::vector<std::int16_t> stereo;
    for (std::int16_t s : left) {
        stereo.push_back(s);
        stereo.push_back(static_cast<std::int16_t>(s / 2));
    }
    ASSERT_TRUE(test::write_wav(path("s.wav"), stereo, 44100, 2));
    std::string why;
    auto reader = WavReader::open(path("s.wav"), &why);
    ASSERT_TRUE(reader.has_value()) << why;
    EXPECT_EQ(reader->info().channels, 2);
    auto status = reader->expect(16000, 1, &why);
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(why, path("s.wav") + " is 44100 Hz stereo 16-bit PCM; expected 16000 Hz mono");
    auto mono = reader->read_all_mono(16000);
    ASSERT_TRUE(mono.has_value());
    EXPECT_NEAR(static_cast<double>(mono->size()), 16000.0, 3.0);
    EXPECT_NEAR(zero_crossings(*mono), 880, 3);
    // (10000 + 5000) / 2 peak.
    EXPECT_NEAR(test::rms(*mono) * std::sqrt(2.0), 7500.0, 100.0);
}

TEST_F(WavFileTest, RefusesFloatWithAClearReason) {
    write_float_wav(path("f.wav"), 44100, 2, 1000);
    std::string why;
    auto reader = WavReader::open(path("f.wav"), &why);
    ASSERT_FALSE(reader.has_value());
    EXPECT_EQ(reader.error(), DspError::kFileUnsupported);
    EXPECT_EQ(reader.error(), DspCondition::kFileError);
    EXPECT_EQ(why,
              path("f.wav") + " is 44100 Hz stereo float; expected integer PCM WAV (e.g. 16-bit)");
}

TEST_F(WavFileTest, ClearErrorsForMissingAndNonWavFiles) {
    std::string why;
    auto missing = WavReader::open(path("nope.wav"), &why);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error(), DspError::kFileNotFound);
    EXPECT_NE(why.find("nope.wav"), std::string::npos);

    std::ofstream(path("text.wav")) << "this is not audio at all, just some text in a file\n";
    auto text = WavReader::open(path("text.wav"), &why);
    ASSERT_FALSE(text.has_value());
    EXPECT_EQ(text.error(), DspError::kFileUnsupported);
    EXPECT_NE(why.find("not a WAV file"), std::string::npos);

    EXPECT_EQ(read_wav_mono(path("nope.wav"), 16000).error(), DspError::kFileNotFound);
    EXPECT_EQ(WavWriter::create(path("no/such/dir/x.wav"), 16000, 1).error(),
              DspError::kFileOpenForWriteFailed);
    EXPECT_EQ(WavWriter::create(path("x.wav"), 16000, 3).error(), DspError::kInvalidArgument);
    EXPECT_EQ(WavWriter::create(path("x.wav"), 0, 1).error(), DspError::kInvalidRate);
}

TEST_F(WavFileTest, HeaderIsValidWhileStillWriting) {
    auto writer = WavWriter::create(path("live.wav"), 16000, 2);
    ASSERT_TRUE(writer.has_value());
    std::vector<std::int16_t> block(2 * 1600);
    for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<std::int16_t>(i);
    for (int k = 1; k <= 3; ++k) {
        ASSERT_TRUE(writer->write(block).has_value());
        // A second handle sees everything written so far, without close().
        auto reader = WavReader::open(path("live.wav"));
        ASSERT_TRUE(reader.has_value());
        EXPECT_EQ(reader->info().frames, static_cast<std::uint64_t>(1600 * k));
        EXPECT_EQ(reader->info().channels, 2);
    }
    EXPECT_EQ(writer->frames_written(), 4800u);
    ASSERT_TRUE(writer->close().has_value());
    EXPECT_TRUE(writer->close().has_value());  // idempotent
    EXPECT_EQ(writer->write(block).error(), DspError::kFileWriteFailed);
}

TEST_F(WavFileTest, AudioSurvivesACrashOfTheWriterButItsLast100Ms) {
    const auto tone = test::sine(300, 8500, 16000, 5000);
    const std::string p = path("crash.wav");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto writer = WavWriter::create(p, 16000, 1);
        if (!writer)
            ::_exit(2);
        for (std::size_t pos = 0; pos < tone.size(); pos += 1000) {
            if (!writer->write(std::span(tone).subspan(pos, std::min<std::size_t>(1000, tone.size() - pos))))
                ::_exit(3);
        }
        std::abort();  // no close, no destructors
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exit " << WEXITSTATUS(status);
    auto audio = read_wav_mono(p, 16000);
    ASSERT_TRUE(audio.has_value());
    ASSERT_GE(audio->size(), tone.size() - 1600);
    EXPECT_TRUE(std::equal(audio->begin(), audio->end(), tone.begin()));
}

}  // namespace
}  // namespace parley::dsp
