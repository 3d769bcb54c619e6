// SPDX-License-Identifier: Apache-2.0
#include "device/null_device.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/clock.hpp"
#include "device/error.hpp"

namespace parley::device {
namespace {

TEST(NullDeviceTest, CapturesSilenceAndConsumesWhatIsPlayed) {
    NullDevice device(NullDeviceOptions{.rate_hz = 16000, .driver = {.pacing = Pacing::kManual}});
    std::string why;
    ASSERT_TRUE(device.open(&why)) << why;
    EXPECT_EQ(device.input_rate_hz(), 16000);
    EXPECT_EQ(device.output_rate_hz(), 16000);
    const std::vector<std::int16_t> tone(1600, 1234);
    ASSERT_EQ(device.render_ring().write(tone), tone.size());
    ASSERT_TRUE(device.start());
    EXPECT_EQ(device.step(10), 10u);
    std::vector<std::int16_t> captured(1600, 99);
    ASSERT_EQ(device.capture_ring().read(captured), 1600u);
    EXPECT_TRUE(std::all_of(captured.begin(), captured.end(), [](auto v) { return v == 0; }));
    EXPECT_EQ(device.render_ring().available_to_read(), 0u);
    std::vector<std::int16_t> reference(1600);
    ASSERT_EQ(device.reference_ring().read(reference), 1600u);
    EXPECT_EQ(reference, tone);
    EXPECT_EQ(device.stats().underruns, 0u);
}

TEST(NullDeviceTest, StepUntilReadWaitsForAReaderAndGivesUpWithoutOne) {
    NullDevice device(NullDeviceOptions{.rate_hz = 16000, .driver = {.pacing = Pacing::kManual}});
    ASSERT_TRUE(device.open());
    ASSERT_TRUE(device.start());
    EXPECT_FALSE(device.step_until_read(std::chrono::milliseconds(20))) << "nobody reads";
    EXPECT_EQ(device.capture_ring().available_to_read(), 160u);
    std::atomic<bool> done{false};
    std::thread reader([&] {
        std::vector<std::int16_t> frame(160);
        while (!done.load()) {
            if (device.capture_ring().read(frame) == 0)
                std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    });
    EXPECT_TRUE(device.step_until_read());
    EXPECT_EQ(device.capture_ring().available_to_read(), 0u);
    done = true;
    reader.join();
    device.stop();
    EXPECT_FALSE(device.step_until_read()) << "not running: no block runs";
}

TEST(NullDeviceTest, UnpacedWaitsForTheConsumer) {
    NullDevice device(NullDeviceOptions{
        .rate_hz = 48000, .driver = {.pacing = Pacing::kUnpaced, .unpaced_lookahead_ms = 20}});
    ASSERT_TRUE(device.open());
    ASSERT_TRUE(device.start());
    // Nobody reads: the driver stops once 20 ms are queued, instead of overrunning the ring.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (device.capture_ring().available_to_read() < 960 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(device.capture_ring().available_to_read(), 960u);
    EXPECT_EQ(device.stats().overrun_samples, 0u);
    // Consuming lets it go on.
    std::vector<std::int16_t> buf(960);
    std::uint64_t consumed = 0;
    while (consumed < 48000 && std::chrono::steady_clock::now() < deadline) {
        const std::size_t n = device.capture_ring().read(buf);
        device.reference_ring().discard(n);
        consumed += n;
    }
    device.stop();
    EXPECT_GE(consumed, 48000u);
    EXPECT_FALSE(device.is_running());
}

TEST(NullDeviceTest, PacedOnTheReaderRunsEachBlockWhenItIsDueOnTheCallingThread) {
    ManualClock clock;
    NullDevice device(NullDeviceOptions{
        .rate_hz = 16000,
        .driver = {.pacing = Pacing::kRealtimeOnReader, .block_samples = {640}, .clock = &clock}});
    ASSERT_TRUE(device.open());
    EXPECT_FALSE(device.run_next_callback()) << "not running yet";
    ASSERT_TRUE(device.start());
    const auto t0 = clock.now();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(device.blocks_run(), 0u) << "no thread of its own runs blocks";
    // The first block is due at once, each next one 40 ms (640 samples) later.
    for (int block = 0; block < 3; ++block) {
        ASSERT_TRUE(device.run_next_callback());
        EXPECT_EQ(clock.now() - t0, std::chrono::milliseconds(40 * block));
    }
    EXPECT_EQ(device.blocks_run(), 3u);
    EXPECT_EQ(device.capture_ring().available_to_read(), 3u * 640u);
    device.stop();
    EXPECT_FALSE(device.run_next_callback());
}

TEST(NullDeviceTest, ADeviceSteppedByHandLeavesTheReaderNothingToRun) {
    NullDevice device(NullDeviceOptions{.rate_hz = 16000, .driver = {.pacing = Pacing::kManual}});
    ASSERT_TRUE(device.open());
    ASSERT_TRUE(device.start());
    EXPECT_FALSE(device.run_next_callback());
    EXPECT_EQ(device.blocks_run(), 0u);
}

TEST(NullDeviceTest, StartBeforeOpenFails) {
    NullDevice device(NullDeviceOptions{});
    std::string why;
    const Status status = device.start(&why);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), DeviceError::kNotOpen);
    EXPECT_FALSE(why.empty());
}

TEST(NullDeviceTest, InvalidRateIsRejected) {
    NullDevice device(NullDeviceOptions{.rate_hz = 12});
    std::string why;
    const Status status = device.open(&why);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), DeviceError::kInvalidConfig);
    EXPECT_EQ(status.error(), DeviceCondition::kBadConfig);
    EXPECT_NE(why.find("12 Hz"), std::string::npos) << why;
}

TEST(NullDeviceTest, StopIsIdempotentAndRestartable) {
    ManualClock clock;
    NullDevice device(NullDeviceOptions{.rate_hz = 8000,
                                        .driver = {.pacing = Pacing::kRealtime, .clock = &clock}});
    ASSERT_TRUE(device.open());
    ASSERT_TRUE(device.start());
    device.stop();
    device.stop();
    ASSERT_TRUE(device.start());
    EXPECT_TRUE(device.is_running());
    device.stop();
}

}  // namespace
}  // namespace parley::device
