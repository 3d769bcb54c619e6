// SPDX-License-Identifier: Apache-2.0
#include "device/rt_bridge.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace parley::device {
namespace {

using Samples = std::vector<std::int16_t>;

RtBridgeOptions options_48k() {
    return RtBridgeOptions{.input_rate_hz = 48000, .output_rate_hz = 48000};
}

Samples ramp(std::size_t n, std::int16_t start = 1) {
    Samples x(n);
    for (std::size_t i = 0; i < n; ++i)
        x[i] = static_cast<std::int16_t>(start + static_cast<int>(i % 20000));
    return x;
}

Samples read_all(dsp::FrameRing& ring) {
    Samples out(ring.available_to_read());
    const std::size_t n = ring.read(out);
    out.resize(n);
    return out;
}

TEST(RtBridgeTest, DuplexPlaysRenderRingAndCapturesInputWithAlignedReference) {
    RtBridge bridge(options_48k());
    const Samples played = ramp(1000);
    ASSERT_EQ(bridge.render_ring().write(played), played.size());
    const Samples mic = ramp(1000, 100);
    Samples out(480);
    bridge.process_duplex(std::span(mic).first(480), out, 1);
    EXPECT_EQ(out, Samples(played.begin(), played.begin() + 480));
    bridge.process_duplex(std::span(mic).subspan(480, 480), out, 2);
    EXPECT_EQ(out, Samples(played.begin() + 480, played.begin() + 960));

    EXPECT_EQ(read_all(bridge.capture_ring()), Samples(mic.begin(), mic.begin() + 960));
    EXPECT_EQ(read_all(bridge.reference_ring()), Samples(played.begin(), played.begin() + 960));
    const DeviceStats s = bridge.stats();
    EXPECT_EQ(s.callbacks, 2u);
    EXPECT_EQ(s.capture_callbacks, 2u);
    EXPECT_EQ(s.capture_samples, 960u);
    EXPECT_EQ(s.render_samples, 960u);
    EXPECT_EQ(s.underruns, 0u);
    EXPECT_EQ(bridge.last_callback_ns(), 2);
}

TEST(RtBridgeTest, UnderrunPlaysSilenceAndIsCounted) {
    RtBridge bridge(options_48k());
    const Samples played = ramp(100);
    ASSERT_EQ(bridge.render_ring().write(played), 100u);
    Samples out(480, 7);
    const Samples mic(480, 0);
    bridge.process_duplex(mic, out, 1);
    EXPECT_EQ(Samples(out.begin(), out.begin() + 100), played);
    EXPECT_TRUE(std::all_of(out.begin() + 100, out.end(), [](std::int16_t v) { return v == 0; }));
    EXPECT_EQ(bridge.stats().underruns, 1u);
    EXPECT_EQ(bridge.stats().underrun_samples, 380u);
    // The reference holds what was really played, silence included.
    EXPECT_EQ(read_all(bridge.reference_ring()), out);
}

TEST(RtBridgeTest, CaptureOverrunDropsTheSameSamplesFromCaptureAndReference) {
    RtBridgeOptions o = options_48k();
    o.capture_ring_ms = 10;  // 480 -> 512 samples
    RtBridge bridge(o);
    const Samples mic = ramp(400);
    Samples out(400);
    bridge.process_duplex(mic, out, 1);
    bridge.process_duplex(mic, out, 2);  // only 112 fit
    EXPECT_EQ(bridge.stats().overrun_samples, 288u);
    EXPECT_EQ(bridge.capture_ring().available_to_read(), 512u);
    EXPECT_EQ(bridge.reference_ring().available_to_read(), 512u);
    EXPECT_EQ(bridge.capture_ring().write_counter(), bridge.reference_ring().write_counter());
}

TEST(RtBridgeTest, NoInputBufferCapturesSilence) {
    RtBridge bridge(options_48k());
    Samples out(300);
    bridge.process_duplex({}, out, 1);
    const Samples captured = read_all(bridge.capture_ring());
    EXPECT_EQ(captured, Samples(300, 0));
}

// Largest sample-to-sample step in x.
int max_step(const Samples& x) {
    int worst = 0;
    for (std::size_t i = 1; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - x[i - 1]));
    return worst;
}

TEST(RtBridgeTest, FlushFadesOutWithoutClickAndKeepsTheNextTurn) {
    for (std::size_t block : {480u, 64u, 7u, 1000u}) {
        SCOPED_TRACE("block " + std::to_string(block));
        RtBridge bridge(options_48k());
        // A loud constant level (the worst case for a click) well beyond the fade.
        const Samples turn1(4800, 20000);
        ASSERT_EQ(bridge.render_ring().write(turn1), turn1.size());
        Samples played;
        Samples out(block);
        const Samples mic(block, 0);
        // Play a bit, then barge in.
        while (played.size() < 960) {
            bridge.process_duplex(mic, out, 1);
            played.insert(played.end(), out.begin(), out.end());
        }
        const std::size_t flush_at = played.size();
        bridge.render_ring().request_flush();
        const Samples turn2(960, -5000);  // the next turn, queued after the request
        ASSERT_EQ(bridge.render_ring().write(turn2), turn2.size());
        while (played.size() < flush_at + 240 + 960 + 2 * block) {
            bridge.process_duplex(mic, out, 2);
            played.insert(played.end(), out.begin(), out.end());
        }
        // The fade is 5 ms = 240 samples: steps stay near 20000 / 240, never a jump to 0.
        const auto flush_pos = played.begin() + static_cast<std::ptrdiff_t>(flush_at);
        const auto turn1_end = std::find(flush_pos, played.end(), std::int16_t{-5000});
        ASSERT_NE(turn1_end, played.end()) << "the next turn was eaten";
        const Samples faded(flush_pos - 20, turn1_end);
        EXPECT_LE(max_step(faded), 200);
        const auto faded_len = static_cast<std::size_t>(turn1_end - flush_pos);
        EXPECT_GE(faded_len, 200u);
        EXPECT_LE(faded_len, 260u);
        // All of the next turn is played, at full level.
        EXPECT_EQ(std::count(played.begin(), played.end(), std::int16_t{-5000}), 960);
        const DeviceStats s = bridge.stats();
        EXPECT_EQ(s.flushes, 1u);
        EXPECT_EQ(s.flushed_samples + flush_at + faded_len, turn1.size());
    }
}

TEST(RtBridgeTest, FlushOfAnEmptyRingDoesNothing) {
    RtBridge bridge(options_48k());
    bridge.render_ring().request_flush();
    Samples out(100);
    const Samples mic(100, 0);
    bridge.process_duplex(mic, out, 1);
    EXPECT_EQ(bridge.stats().flushes, 0u);
}

TEST(RtBridgeTest, TwoStreamModeCountsEachDirection) {
    RtBridge bridge(RtBridgeOptions{.input_rate_hz = 16000, .output_rate_hz = 44100});
    const Samples mic = ramp(160);
    Samples out(441);
    // Output before the microphone ran has no capture to align with: no reference for it.
    bridge.process_render(out, 3);
    EXPECT_EQ(bridge.reference_ring().available_to_read(), 0u);
    bridge.process_capture(mic, 5);
    bridge.process_render(out, 9);
    const DeviceStats s = bridge.stats();
    EXPECT_EQ(s.capture_samples, 160u);
    EXPECT_EQ(s.render_samples, 882u);
    EXPECT_EQ(s.callbacks, 3u);
    // The mean capture block (what the dsp thread paces itself by) counts capture callbacks only.
    EXPECT_EQ(s.capture_callbacks, 1u);
    EXPECT_EQ(s.capture_samples / s.capture_callbacks, 160u);
    EXPECT_EQ(s.render_callbacks, 2u);
    EXPECT_EQ(bridge.reference_ring().available_to_read(), 441u);
    // The older of the two sides, and each side's own.
    EXPECT_EQ(bridge.last_callback_ns(), 5);
    EXPECT_EQ(bridge.last_capture_ns(), 5);
    EXPECT_EQ(bridge.last_render_ns(), 9);
}

TEST(RtBridgeTest, ACaptureCallbackInPiecesCountsOnce) {
    // PulseAudio hands a monitor source's audio over in many small fragments per callback: the
    // dsp thread paces itself by the callback's block, not the fragment's.
    RtBridge bridge(RtBridgeOptions{.input_rate_hz = 16000, .output_rate_hz = 16000});
    const Samples piece = ramp(8);
    for (int callback = 0; callback < 2; ++callback)
        for (int i = 0; i < 40; ++i) bridge.process_capture(piece, 7, i == 0);
    const DeviceStats s = bridge.stats();
    EXPECT_EQ(s.capture_callbacks, 2u);
    EXPECT_EQ(s.callbacks, 2u);
    EXPECT_EQ(s.capture_samples / s.capture_callbacks, 320u);
    EXPECT_EQ(bridge.capture_ring().available_to_read(), 640u);
}

TEST(RtBridgeTest, ReferenceCanBeDisabled) {
    RtBridgeOptions o = options_48k();
    o.reference_enabled = false;
    RtBridge bridge(o);
    Samples out(480);
    const Samples mic(480, 3);
    for (int i = 0; i < 100; ++i) {
        bridge.process_duplex(mic, out, i);
        bridge.capture_ring().discard(480);
    }
    EXPECT_EQ(bridge.reference_ring().available_to_read(), 0u);
    EXPECT_EQ(bridge.stats().overrun_samples, 0u);
}

}  // namespace
}  // namespace parley::device
