// SPDX-License-Identifier: Apache-2.0
// ReferenceReader over an hour of two simulated sound cards whose clocks differ: the reference
// it hands the echo canceller stays aligned with the capture, where reading it at its nominal
// rate loses the alignment by the drift (a second an hour at 300 ppm).
#include "dsp/reference_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "dsp/frame.hpp"

namespace parley::dsp {
namespace {

constexpr int kRateHz = 48000;
constexpr std::size_t kCaptureBlock = 480;  // 10 ms callbacks
constexpr std::size_t kRenderBlock = 960;   // 20 ms callbacks, of the output clock
constexpr double kJitterMs = 2.0;
// A playback callback, a capture callback and both jitters.
constexpr double kMinBacklogMs = 20.0 + 10.0 + 2 * kJitterMs;

struct Run {
    double alignment_ms_at_settled = 0;  // where it was two minutes in (or after the loss)
    double worst_after_settled_ms = 0;   // its largest move from there on
    double mean_correction_ppm = 0;      // over the last five minutes
    // 16 kHz samples out against 160 a block, its largest move after two minutes (the
    // resampler's delay makes the rest).
    std::int64_t resampled_skew = 0;
    std::uint64_t reference_dropped = 0;  // samples the ring had no room for
    std::uint64_t short_reads = 0;        // after two minutes: reads the ring could not fill
};

// Two streams: capture in 10 ms blocks by the capture clock, playback in 20 ms blocks by an
// output clock `output_ppm` faster, each callback stamped with up to +-2 ms of jitter. After
// every callback the dsp side reads as ConversationDsp does: a capture block when it has one,
// with its reference (or silence once two capture blocks wait), then steers. The alignment is
// when the reference sample being read was played, less when the capture sample was captured.
// From `lose_at_s` on, 200 ms of playback never reach the ring (a stream that skipped); the
// alignment is then measured from a minute after.
Run run(double output_ppm, double seconds, bool follow, double lose_at_s = -1.0) {
    auto created = ReferenceReader::create(kRateHz, follow);
    EXPECT_TRUE(created);
    ReferenceReader reader = std::move(*created);
    FrameRing ring(kRateHz);
    std::vector<std::int16_t> render(kRenderBlock), out16;
    std::mt19937 rng(7);
    const auto jitter = static_cast<std::int64_t>(kJitterMs * 1e6);
    std::uniform_int_distribution<std::int64_t> jitter_ns(-jitter, jitter);
    const double render_period_s = kRenderBlock / (kRateHz * (1.0 + output_ppm * 1e-6));
    const double capture_period_s = static_cast<double>(kCaptureBlock) / kRateHz;
    std::uint64_t captures = 0, renders = 0, captured = 0, capture_read = 0, blocks = 0;
    std::int64_t last_capture_ns = 0, last_render_ns = 0, resampled = 0;
    Run result;
    bool settled = false;
    std::int64_t skew_at_settled = 0;
    double correction_sum = 0;
    std::uint64_t corrections = 0;
    std::uint64_t lost = 0;
    const double settled_s = lose_at_s < 0 ? 120.0 : lose_at_s + 60.0;
    while (static_cast<double>(captures) * capture_period_s < seconds) {
        const double t_capture = static_cast<double>(captures) * capture_period_s;
        const double t_render = static_cast<double>(renders) * render_period_s;
        if (t_render <= t_capture) {
            for (std::size_t i = 0; i < kRenderBlock; ++i)
                render[i] = static_cast<std::int16_t>((renders * kRenderBlock + i) % 20000);
            if (lose_at_s >= 0 && t_render >= lose_at_s && t_render < lose_at_s + 0.2)
                lost += kRenderBlock;
            else
                result.reference_dropped += kRenderBlock - ring.write(render);
            last_render_ns = static_cast<std::int64_t>(t_render * 1e9) + jitter_ns(rng);
            ++renders;
            continue;
        }
        captured += kCaptureBlock;
        last_capture_ns = static_cast<std::int64_t>(t_capture * 1e9) + jitter_ns(rng);
        ++captures;
        while (captured - capture_read >= kCaptureBlock &&
               (ring.available_to_read() >= reader.next_block_samples() ||
                captured - capture_read >= 2 * kCaptureBlock)) {
            capture_read += kCaptureBlock;
            out16.clear();
            const auto wanted = reader.next_block_samples();
            const bool short_read = reader.read(ring, &out16) < wanted;
            resampled += static_cast<std::int64_t>(out16.size());
            ++blocks;
            reader.steer(
                ReferenceReader::backlog_ms(ring.available_to_read(), kRateHz, last_render_ns,
                                            static_cast<std::size_t>(captured - capture_read),
                                            kRateHz, last_capture_ns),
                kMinBacklogMs);
            const double played_s =
                static_cast<double>(ring.read_counter()) / (kRateHz * (1.0 + output_ppm * 1e-6));
            const double captured_s = static_cast<double>(capture_read) / kRateHz;
            const double alignment_ms = (played_s - captured_s) * 1000.0;
            const auto skew = resampled - static_cast<std::int64_t>(blocks * 160);
            if (!settled && t_capture >= settled_s) {
                settled = true;
                result.alignment_ms_at_settled = alignment_ms;
                skew_at_settled = skew;
            } else if (settled) {
                result.worst_after_settled_ms =
                    std::max(result.worst_after_settled_ms,
                             std::abs(alignment_ms - result.alignment_ms_at_settled));
                result.resampled_skew =
                    std::max(result.resampled_skew, std::abs(skew - skew_at_settled));
                result.short_reads += short_read ? 1 : 0;
            }
            if (t_capture >= seconds - 300.0) {
                correction_sum += reader.correction_ppm();
                ++corrections;
            }
        }
    }
    result.mean_correction_ppm =
        correction_sum / static_cast<double>(std::max<std::uint64_t>(corrections, 1));
    return result;
}

class ReferenceReaderDriftTest : public ::testing::TestWithParam<double> {};

TEST_P(ReferenceReaderDriftTest, TheReferenceStaysAlignedForAnHour) {
    const double output_ppm = GetParam();
    const auto result = run(output_ppm, 3600.0, /*follow=*/true);
    EXPECT_LE(result.worst_after_settled_ms, 1.0)
        << "the alignment moved over the hour (drift " << output_ppm << " ppm)";
    EXPECT_NEAR(result.mean_correction_ppm, output_ppm, 2.0);
    EXPECT_EQ(result.reference_dropped, 0u);
    EXPECT_EQ(result.short_reads, 0u) << "the reference ran short: silence stood in for it";
    // Every 10 ms block gave the canceller 10 ms of reference.
    EXPECT_LE(result.resampled_skew, 2);
}

INSTANTIATE_TEST_SUITE_P(Clocks, ReferenceReaderDriftTest, ::testing::Values(0.0, 300.0, -300.0),
                         [](const auto& info) {
                             const auto ppm = static_cast<int>(info.param);
                             return ppm == 0 ? std::string("OneClock")
                                             : (ppm > 0 ? "OutputFastBy" : "OutputSlowBy") +
                                                   std::to_string(std::abs(ppm)) + "ppm";
                         });

// A stream that skips moves the alignment once (the lost audio will never play); the reader
// settles on the new one and holds it.
TEST(ReferenceReaderTest, AfterAStreamSkipsTheNewAlignmentHolds) {
    const auto result = run(300.0, 900.0, /*follow=*/true, /*lose_at_s=*/200.0);
    EXPECT_LE(result.worst_after_settled_ms, 1.0);
    EXPECT_EQ(result.short_reads, 0u);
    EXPECT_NEAR(result.mean_correction_ppm, 300.0, 2.0);
}

// The measurement itself: read at the nominal rate, the same streams lose 300 ppm of alignment.
TEST(ReferenceReaderTest, ReadAtItsNominalRateTheReferenceDrifts) {
    const auto result = run(300.0, 300.0, /*follow=*/false);
    EXPECT_NEAR(result.worst_after_settled_ms, 0.3 * (300.0 - 120.0), 5.0);
}

TEST(ReferenceReaderTest, OneClockNeedsNoSteering) {
    auto reader = ReferenceReader::create(kRateHz, /*follow_capture_clock=*/false);
    ASSERT_TRUE(reader);
    EXPECT_FALSE(reader->follows_capture_clock());
    for (int i = 0; i < 1000; ++i) reader->steer(static_cast<double>(i), 30.0);
    EXPECT_EQ(reader->next_block_samples(), kCaptureBlock);
    EXPECT_EQ(reader->correction_ppm(), 0.0);
}

TEST(ReferenceReaderTest, AShortRingIsReadAsSilenceAfterWhatItHad) {
    auto reader = ReferenceReader::create(kRateHz, /*follow_capture_clock=*/false);
    ASSERT_TRUE(reader);
    FrameRing ring(4096);
    const std::vector<std::int16_t> loud(100, 20000);
    ring.write(loud);
    std::vector<std::int16_t> out;
    EXPECT_EQ(reader->read(ring, &out), 100u);
    EXPECT_EQ(ring.available_to_read(), 0u);
    EXPECT_EQ(reader->read(ring, nullptr), 0u);
}

}  // namespace
}  // namespace parley::dsp
