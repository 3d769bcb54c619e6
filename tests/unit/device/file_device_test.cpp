// SPDX-License-Identifier: Apache-2.0
#include "device/file_device.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/clock.hpp"
#include "dsp/error.hpp"
#include "dsp/wav_file.hpp"
#include "support/test_audio.hpp"

namespace parley::device {
namespace {

namespace fs = std::filesystem;
using test::Samples;

class FileDeviceTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("parley_file_device_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    fs::path dir_;
};

// A stand-in for the dsp thread in lockstep: moves every captured sample into `captured` and
// writes `to_play` into the render ring as space allows. Returns when the device's input has
// finished and `extra` more samples were captured (or `deadline` passes).
void run_dsp(FileDevice& device, const Samples& to_play, Samples& captured, std::size_t extra) {
    std::size_t played = 0;
    std::size_t after_end = 0;
    bool finished = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::vector<std::int16_t> buf(4096);
    while (std::chrono::steady_clock::now() < deadline) {
        if (played < to_play.size()) {
            played += device.render_ring().write(std::span(to_play).subspan(played));
        }
        // Read the finished flag before draining, so every input sample is in the ring.
        const bool finished_now = device.input_finished();
        const std::size_t n = device.capture_ring().read(buf);
        device.reference_ring().discard(n);
        captured.insert(captured.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        if (finished)
            after_end += n;
        finished = finished || finished_now;
        if (finished && after_end >= extra)
            return;
        if (n == 0)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ADD_FAILURE() << "the file device stopped delivering audio";
}

TEST_F(FileDeviceTest, UnpacedCapturesTheWholeFileThenSilenceAndWritesExactlyWhatWasPlayed) {
    const Samples speech = test::sine(300.0, 16000 * 2, 16000, 9000.0);
    ASSERT_TRUE(test::write_wav(path("in.wav"), speech, 16000));
    const Samples to_play = test::sine(500.0, 16000, 16000, 7000.0);

    FileDevice device(FileDeviceOptions{
        .input_path = path("in.wav"),
        .output_path = path("out.wav"),
        .driver = {.pacing = Pacing::kUnpaced, .block_samples = {160}},
    });
    std::string why;
    ASSERT_TRUE(device.open(&why)) << why;
    EXPECT_EQ(device.input_rate_hz(), 16000);
    EXPECT_EQ(device.input_samples(), speech.size());
    EXPECT_FALSE(device.input_finished());
    // Queue the whole output before starting, so nothing underruns until it is played.
    ASSERT_EQ(device.render_ring().write(std::span(to_play).first(3200)), 3200u);
    ASSERT_TRUE(device.start(&why)) << why;
    Samples captured;
    run_dsp(device, Samples(to_play.begin() + 3200, to_play.end()), captured, 1600);
    device.stop();
    EXPECT_TRUE(device.input_finished());

    ASSERT_GE(captured.size(), speech.size() + 1600);
    EXPECT_EQ(
        Samples(captured.begin(), captured.begin() + static_cast<std::ptrdiff_t>(speech.size())),
        speech);
    EXPECT_EQ(test::rms(std::span(captured).subspan(speech.size())), 0.0);

    // Frames in = frames out: every callback captured as much as it played.
    const DeviceStats s = device.stats();
    EXPECT_EQ(s.capture_samples, s.render_samples);
    EXPECT_EQ(device.output_samples(), s.render_samples);
    device.close();
    auto written = dsp::read_wav_mono(path("out.wav"), 16000);
    ASSERT_TRUE(written);
    ASSERT_EQ(written->size(), s.render_samples);
    // The output starts with exactly what was queued for playing.
    EXPECT_EQ(
        Samples(written->begin(), written->begin() + static_cast<std::ptrdiff_t>(to_play.size())),
        to_play);
    EXPECT_FALSE(device.output_error().has_value());
}

TEST_F(FileDeviceTest, OddBlockSizesInManualModeKeepEverySample) {
    const Samples input = test::white_noise(10007, 3000.0, 7);
    ASSERT_TRUE(test::write_wav(path("in.wav"), input, 48000));
    FileDevice device(FileDeviceOptions{
        .input_path = path("in.wav"),
        .output_path = path("out.wav"),
        .driver = {.pacing = Pacing::kManual, .block_samples = {441, 13, 1024, 1}},
    });
    std::string why;
    ASSERT_TRUE(device.open(&why)) << why;
    const Samples to_play = test::white_noise(8000, 2000.0, 9);
    ASSERT_EQ(device.render_ring().write(to_play), to_play.size());
    ASSERT_TRUE(device.start(&why)) << why;
    Samples captured;
    std::vector<std::int16_t> buf(2048);
    while (!device.input_finished()) {
        ASSERT_EQ(device.step(), 1u);
        const std::size_t n = device.capture_ring().read(buf);
        device.reference_ring().discard(n);
        captured.insert(captured.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    }
    // 10007 samples take 4 cycles of the 1479-sample pattern plus part of a fifth.
    EXPECT_GE(device.blocks_run(), 4u * 4u);
    ASSERT_GE(captured.size(), input.size());
    EXPECT_EQ(
        Samples(captured.begin(), captured.begin() + static_cast<std::ptrdiff_t>(input.size())),
        input);
    const DeviceStats s = device.stats();
    EXPECT_EQ(s.capture_samples, captured.size());
    EXPECT_EQ(s.render_samples, captured.size());
    device.close();
    auto written = dsp::read_wav_mono(path("out.wav"), 48000);
    ASSERT_TRUE(written);
    ASSERT_EQ(written->size(), captured.size());
    EXPECT_EQ(Samples(written->begin(), written->begin() + 8000), to_play);
    // After the queued audio ran out, silence (and counted underruns).
    EXPECT_EQ(test::rms(std::span(*written).subspan(8000)), 0.0);
    EXPECT_GT(s.underruns, 0u);
}

TEST_F(FileDeviceTest, RealtimePacingWithAManualClockRunsOneBlockPerBlockDuration) {
    ManualClock clock;
    FileDevice device(FileDeviceOptions{
        .rate_hz = 24000,
        .driver = {.pacing = Pacing::kRealtime, .block_samples = {240}, .clock = &clock},
    });
    std::string why;
    ASSERT_TRUE(device.open(&why)) << why;
    EXPECT_TRUE(device.input_finished());  // no input file: silence from the start
    ASSERT_TRUE(device.start(&why)) << why;
    Samples buf(24000);
    std::size_t captured = 0;
    while (captured < 24000) {
        captured += device.capture_ring().read(std::span(buf).subspan(0, 24000 - captured));
        device.reference_ring().discard(device.reference_ring().available_to_read());
    }
    device.stop();
    // Paced: the manual clock advanced by the duration of the audio delivered (within a block
    // or two of lookahead, since the driver may be a block ahead of our reads).
    const double clock_s = std::chrono::duration<double>(clock.now().time_since_epoch()).count();
    const double audio_s = static_cast<double>(device.stats().capture_samples) / 24000.0;
    EXPECT_NEAR(clock_s, audio_s, 0.011);
    EXPECT_GE(audio_s, 1.0);
}

TEST_F(FileDeviceTest, ConvertsStereoInputAtAnotherRateToMonoAtTheDeviceRate) {
    // A 16 kHz stereo file (left and right identical) played by a 48 kHz device.
    const Samples mono = test::sine(440.0, 16000, 16000, 8000.0);
    Samples stereo;
    for (std::int16_t s : mono) {
        stereo.push_back(s);
        stereo.push_back(s);
    }
    ASSERT_TRUE(test::write_wav(path("in.wav"), stereo, 16000, 2));
    FileDevice device(FileDeviceOptions{
        .input_path = path("in.wav"), .rate_hz = 48000, .driver = {.pacing = Pacing::kManual}});
    std::string why;
    ASSERT_TRUE(device.open(&why)) << why;
    EXPECT_EQ(device.input_rate_hz(), 48000);
    EXPECT_NEAR(static_cast<double>(device.input_samples()), 48000.0, 48.0);
    ASSERT_TRUE(device.start());
    device.step(30);  // 0.3 s (the ring holds 250 ms or more)
    Samples captured(14400);
    ASSERT_EQ(device.capture_ring().read(captured), 14400u);
    // Same level as the source (8000 peak -> ~5657 RMS).
    EXPECT_NEAR(test::rms(std::span(captured).subspan(1000, 12000)), 8000.0 / std::sqrt(2.0),
                150.0);
}

TEST_F(FileDeviceTest, OutputAtAnotherRateIsWrittenAtThatRateWithoutConvertingTheInput) {
    const Samples input = test::white_noise(16000, 3000.0, 5);
    ASSERT_TRUE(test::write_wav(path("in.wav"), input, 16000));
    FileDevice device(FileDeviceOptions{
        .input_path = path("in.wav"),
        .output_path = path("out.wav"),
        .rate_hz = 16000,
        .output_rate_hz = 24000,
        .driver = {.pacing = Pacing::kManual, .block_samples = {640, 441}},
    });
    std::string why;
    ASSERT_TRUE(device.open(&why)) << why;
    EXPECT_EQ(device.input_rate_hz(), 16000);
    EXPECT_EQ(device.output_rate_hz(), 24000);
    const Samples to_play = test::white_noise(24000, 2000.0, 6);
    ASSERT_EQ(device.render_ring().write(std::span(to_play).first(6000)), 6000u);
    ASSERT_TRUE(device.start(&why)) << why;
    Samples captured;
    std::vector<std::int16_t> buf(2048);
    std::size_t queued = 6000;
    while (!device.input_finished()) {
        ASSERT_EQ(device.step(), 1u);
        const std::size_t n = device.capture_ring().read(buf);
        captured.insert(captured.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        device.reference_ring().discard(device.reference_ring().available_to_read());
        queued += device.render_ring().write(std::span(to_play).subspan(queued));
    }
    // The input comes through sample for sample.
    ASSERT_GE(captured.size(), input.size());
    EXPECT_EQ(
        Samples(captured.begin(), captured.begin() + static_cast<std::ptrdiff_t>(input.size())),
        input);
    // Each block played as long as it captured: 3 output samples for every 2 input samples,
    // with the odd 441-sample blocks' remainders carried over.
    const DeviceStats s = device.stats();
    EXPECT_EQ(s.render_samples, s.capture_samples * 3 / 2);
    EXPECT_EQ(s.capture_callbacks * 2, s.callbacks);
    device.close();
    auto written = dsp::read_wav_mono(path("out.wav"), 24000);
    ASSERT_TRUE(written);
    ASSERT_EQ(written->size(), s.render_samples);
    EXPECT_EQ(Samples(written->begin(), written->begin() + 24000), to_play);
}

TEST_F(FileDeviceTest, AnEchoPathNeedsOneRate) {
    FileDevice device(FileDeviceOptions{
        .rate_hz = 16000,
        .output_rate_hz = 24000,
        .driver = {.echo_path = [](std::span<const std::int16_t>, std::span<std::int16_t>) {}},
    });
    std::string why;
    EXPECT_FALSE(device.open(&why));
    EXPECT_NE(why.find("same input and output rate"), std::string::npos) << why;
}

TEST_F(FileDeviceTest, EchoPathMixesWhatWasPlayedIntoLaterCapture) {
    FileDevice device(FileDeviceOptions{
        .rate_hz = 16000,
        .driver = {.pacing = Pacing::kManual,
                   .block_samples = {160, 37},
                   .echo_path =
                       [](std::span<const std::int16_t> played, std::span<std::int16_t> echo) {
                           for (std::size_t i = 0; i < played.size(); ++i)
                               echo[i] = static_cast<std::int16_t>(played[i] / 2);
                       }},
    });
    std::string why;
    ASSERT_TRUE(device.open(&why)) << why;
    // Echo arrives exactly one largest block later.
    EXPECT_EQ(device.latency().output, std::chrono::microseconds(10000));
    const Samples to_play = test::sine(700.0, 3200, 16000, 10000.0);
    ASSERT_EQ(device.render_ring().write(to_play), to_play.size());
    ASSERT_TRUE(device.start());
    device.step(40);
    Samples captured(device.capture_ring().available_to_read());
    ASSERT_EQ(device.capture_ring().read(captured), captured.size());
    Samples reference(device.reference_ring().available_to_read());
    ASSERT_EQ(device.reference_ring().read(reference), reference.size());
    ASSERT_EQ(captured.size(), reference.size());
    ASSERT_GT(captured.size(), 3200u + 160u);
    for (std::size_t i = 0; i < 3200; ++i) {
        ASSERT_EQ(captured[i + 160], reference[i] / 2) << "at " << i;
    }
    EXPECT_EQ(test::rms(std::span(captured).first(160)), 0.0);
}

TEST_F(FileDeviceTest, MissingInputFileFailsWithTheReason) {
    FileDevice device(FileDeviceOptions{.input_path = path("nope.wav")});
    std::string why;
    const Status status = device.open(&why);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), dsp::DspError::kFileNotFound);
    EXPECT_FALSE(why.empty());
}

TEST_F(FileDeviceTest, UnwritableOutputFailsWithTheReason) {
    FileDevice device(FileDeviceOptions{.output_path = path("no/such/dir/out.wav")});
    std::string why;
    const Status status = device.open(&why);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), dsp::DspError::kFileOpenForWriteFailed);
    EXPECT_NE(why.find("out.wav"), std::string::npos) << why;
}

TEST_F(FileDeviceTest, InvalidBlockSizeIsRejected) {
    FileDevice device(FileDeviceOptions{.driver = {.block_samples = {0}}});
    std::string why;
    EXPECT_FALSE(device.open(&why));
    EXPECT_NE(why.find("block size"), std::string::npos) << why;
}

TEST_F(FileDeviceTest, FlushDropsQueuedPlaybackInTheOutputFile) {
    FileDevice device(FileDeviceOptions{
        .output_path = path("out.wav"),
        .rate_hz = 16000,
        .driver = {.pacing = Pacing::kManual},
    });
    ASSERT_TRUE(device.open());
    const Samples turn(16000, 12000);
    ASSERT_EQ(device.render_ring().write(std::span(turn).first(4000)), 4000u);
    ASSERT_TRUE(device.start());
    device.step(10);  // 100 ms played
    device.flush_render();
    device.step(20);
    device.close();
    auto written = dsp::read_wav_mono(path("out.wav"), 16000);
    ASSERT_TRUE(written);
    ASSERT_EQ(written->size(), 30u * 160u);
    // 1600 samples at full level, an 80-sample (5 ms) fade, then silence.
    EXPECT_EQ((*written)[1599], 12000);
    EXPECT_LT(std::abs((*written)[1600 + 70]), 2000);
    EXPECT_EQ(test::rms(std::span(*written).subspan(1600 + 80)), 0.0);
    EXPECT_EQ(device.stats().flushes, 1u);
}

}  // namespace
}  // namespace parley::device
