// SPDX-License-Identifier: Apache-2.0
// Player: turn tagging and flush (never the next turn's audio), pause/resume with fades, no
// clicks (second-difference test on a sine), played-ms accounting, no allocation on pull() (counted
// by allocation_count.hpp), and an io-thread/dsp-thread stress.
#include "dsp/player.hpp"

#include <cmath>
#include <numbers>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "allocation_count.hpp"
#include "dsp/frame.hpp"

namespace parley::dsp {
namespace {

using Pcm = std::vector<std::int16_t>;
constexpr int kRate = 24000;
constexpr std::size_t kFrame = kOutputFrameSamples;  // 240
constexpr std::size_t kFadeOut = 120;                // 5 ms at 24 kHz (default)
constexpr std::size_t kFadeIn = 240;                 // 10 ms

// A constant "marker" signal: every sample of turn t has the value t * 1000 (easy to tell
// turns apart in the output).
Pcm constant(std::size_t n, std::int16_t value) {
    return Pcm(n, value);
}

Pcm sine(std::size_t n, double freq_hz, double amplitude, std::size_t phase_offset = 0) {
    Pcm out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<std::int16_t>(
            std::lround(amplitude * std::sin(2.0 * std::numbers::pi * freq_hz *
                                             static_cast<double>(i + phase_offset) / kRate)));
    }
    return out;
}

// Pulls exactly n samples, a 10 ms frame at a time (the last one shorter).
Pcm pull_n(Player& p, std::size_t n) {
    Pcm out(n);
    for (std::size_t pos = 0; pos < n; pos += kFrame) {
        p.pull(std::span(out).subspan(pos, std::min(kFrame, n - pos)));
    }
    return out;
}

// Largest |x[i+1] - 2 x[i] + x[i-1]|: a step (click) makes it jump to the step's size.
int max_second_difference(const Pcm& x) {
    int worst = 0;
    for (std::size_t i = 1; i + 1 < x.size(); ++i) {
        worst = std::max(worst, std::abs(x[i + 1] - 2 * x[i] + x[i - 1]));
    }
    return worst;
}

// A 440 Hz sine at 16000 has |second difference| <= 16000 * (2 pi 440 / 24000)^2 = 212; the
// fades add a little. A hard cut at a peak gives ~16000.
constexpr int kClickThreshold = 1000;

TEST(Player, PlaysChunksInOrderThenSilence) {
    Player p;
    EXPECT_TRUE(p.push(1, constant(300, 1000)));
    EXPECT_TRUE(p.push(1, constant(100, 2000)));
    Pcm frame(kFrame);
    EXPECT_EQ(p.pull(frame), kFrame);
    EXPECT_EQ(frame, constant(kFrame, 1000));
    EXPECT_EQ(p.pull(frame), 160u);
    EXPECT_EQ(Pcm(frame.begin(), frame.begin() + 60), constant(60, 1000));
    EXPECT_EQ(Pcm(frame.begin() + 60, frame.begin() + 160), constant(100, 2000));
    EXPECT_EQ(Pcm(frame.begin() + 160, frame.end()), constant(80, 0));
    EXPECT_EQ(p.pull(frame), 0u);
    EXPECT_EQ(frame, constant(kFrame, 0));
    EXPECT_EQ(p.queued_samples(), 0u);
}

TEST(Player, FlushDropsOnlyThatTurnAndLateChunks) {
    Player p;
    p.push(1, constant(2400, 1000));
    p.push(2, constant(2400, 2000));  // the next turn, already queued
    EXPECT_EQ(p.current_turn(), TurnId{1});
    pull_n(p, 480);
    const std::size_t dropped = p.flush(1);
    EXPECT_EQ(dropped, 2400u - 480u - kFadeOut);
    EXPECT_FALSE(p.push(1, constant(500, 1000)));  // arrives after interrupted: dropped
    const Pcm out = pull_n(p, kFadeOut + 2400 + 240);
    // Fade-out of turn 1 (falling to 0), then all of turn 2, then silence.
    for (std::size_t i = 1; i < kFadeOut; ++i) EXPECT_LE(out[i], out[i - 1]);
    EXPECT_LT(out[kFadeOut - 1], 100);
    EXPECT_EQ(Pcm(out.begin() + kFadeOut, out.begin() + kFadeOut + 2400), constant(2400, 2000));
    EXPECT_EQ(Pcm(out.begin() + kFadeOut + 2400, out.end()), constant(240, 0));
    const auto t1 = p.playback(1);
    ASSERT_TRUE(t1);
    EXPECT_TRUE(t1->flushed);
    EXPECT_EQ(t1->pushed_samples, 2400u);
    EXPECT_EQ(t1->played_samples, 480u + kFadeOut);
    EXPECT_EQ(t1->dropped_samples, 2400u - 480u - kFadeOut + 500u);
    EXPECT_EQ(p.playback(2)->played_samples, 2400u);
    EXPECT_FALSE(p.playback(2)->flushed);
}

TEST(Player, FlushOfAQueuedTurnLeavesThePlayingTurnAlone) {
    Player p;
    p.push(1, constant(1000, 1000));
    p.push(2, constant(1000, 2000));
    p.push(3, constant(1000, 3000));
    pull_n(p, 100);
    EXPECT_EQ(p.flush(2), 1000u);
    const Pcm out = pull_n(p, 1900);
    EXPECT_EQ(Pcm(out.begin(), out.begin() + 900), constant(900, 1000));
    EXPECT_EQ(Pcm(out.begin() + 900, out.end()), constant(1000, 3000));
}

TEST(Player, FlushBeforeFirstChunkDropsLateAudio) {
    Player p;
    EXPECT_EQ(p.flush(7), 0u);
    EXPECT_FALSE(p.push(7, constant(100, 1)));
    EXPECT_EQ(p.queued_samples(), 0u);
    EXPECT_EQ(p.playback(7)->dropped_samples, 100u);
}

TEST(Player, PauseFadesOutKeepsQueueAndResumeFadesIn) {
    Player p;
    p.push(1, constant(4800, 10000));
    pull_n(p, 240);
    p.pause();
    EXPECT_TRUE(p.paused());
    const Pcm fading = pull_n(p, 480);
    for (std::size_t i = 1; i < kFadeOut; ++i) EXPECT_LE(fading[i], fading[i - 1]);
    EXPECT_EQ(Pcm(fading.begin() + kFadeOut, fading.end()), constant(480 - kFadeOut, 0));
    EXPECT_EQ(p.queued_samples(), 4800u - 240u - kFadeOut);
    EXPECT_EQ(p.playback(1)->played_samples, 240u + kFadeOut);
    // Paused: silence, nothing consumed.
    EXPECT_EQ(pull_n(p, 2400), constant(2400, 0));
    EXPECT_EQ(p.queued_samples(), 4800u - 240u - kFadeOut);
    p.resume();
    const Pcm back = pull_n(p, 480);
    for (std::size_t i = 1; i < kFadeIn; ++i) EXPECT_GE(back[i], back[i - 1]);
    EXPECT_LT(back[0], 100);
    EXPECT_EQ(Pcm(back.begin() + kFadeIn, back.end()), constant(480 - kFadeIn, 10000));
}

// Local barge-in with the render ring dropped: the Player stops at once (the device fades) and
// takes back what the listener never heard, so the resume goes on from there and the turn's
// accounting counts only what was heard.
TEST(Player, StopAndRewindPutsBackTheUnheardAudio) {
    Player p;
    Pcm ramp(4800);
    for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<std::int16_t>(i);
    p.push(1, ramp);
    EXPECT_EQ(p.stop_and_rewind(100), 0u) << "not paused: nothing happens";
    EXPECT_EQ(pull_n(p, 960), Pcm(ramp.begin(), ramp.begin() + 960));
    p.pause();
    EXPECT_EQ(p.stop_and_rewind(720), 720u);  // 720 of the 960 pulled were never heard
    EXPECT_EQ(p.playback(1)->played_samples, 240u);
    EXPECT_EQ(p.queued_samples(), 4800u - 240u);
    EXPECT_EQ(pull_n(p, 480), constant(480, 0)) << "no fade of its own: silent at once";
    p.resume();
    const Pcm back = pull_n(p, 480);
    EXPECT_LT(back[0], 240 / 10) << "fades in";
    EXPECT_EQ(Pcm(back.begin() + kFadeIn, back.end()),
              Pcm(ramp.begin() + 240 + kFadeIn, ramp.begin() + 240 + 480));
    // Never more than the playing chunk holds.
    p.pause();
    EXPECT_EQ(p.stop_and_rewind(100000), 720u);
    EXPECT_EQ(p.playback(1)->played_samples, 0u);
}

TEST(Player, NoClicksOnPauseResumeAndFlush) {
    Player p;
    const Pcm tone1 = sine(24000, 440.0, 16000.0);
    Pcm tone2 = sine(24000, 440.0, 16000.0);
    // The model's audio begins softly (speech onsets do); the Player adds no fade at a turn's
    // start, so the test signal brings its own 5 ms onset.
    for (std::size_t i = 0; i < 120; ++i) {
        tone2[i] = static_cast<std::int16_t>(tone2[i] * static_cast<double>(i) / 120.0);
    }
    p.push(1, tone1);
    Pcm out = pull_n(p, 2417);  // stop at an arbitrary phase
    p.pause();
    auto more = pull_n(p, 1200);
    out.insert(out.end(), more.begin(), more.end());
    p.resume();
    more = pull_n(p, 3001);
    out.insert(out.end(), more.begin(), more.end());
    p.flush(1);
    more = pull_n(p, 600);  // the fade-out, then silence
    out.insert(out.end(), more.begin(), more.end());
    p.push(2, tone2);
    more = pull_n(p, 1000);
    out.insert(out.end(), more.begin(), more.end());
    EXPECT_LT(max_second_difference(out), kClickThreshold);

    // The check itself catches a hard cut at the same place.
    Pcm cut(tone1.begin(), tone1.begin() + 2417 + 60);
    cut.resize(cut.size() + 500, 0);
    EXPECT_GT(max_second_difference(cut), kClickThreshold);
}

TEST(Player, PlayedMsAccounting) {
    Player p;
    p.push(5, constant(24000, 100));  // 1 s
    pull_n(p, 7200);                  // 300 ms
    EXPECT_DOUBLE_EQ(p.played_ms(5), 300.0);
    p.flush(5);
    EXPECT_DOUBLE_EQ(p.played_ms(5), 305.0);  // + the 5 ms fade-out
    pull_n(p, 2400);
    EXPECT_DOUBLE_EQ(p.played_ms(5), 305.0);
    EXPECT_DOUBLE_EQ(p.played_ms(99), 0.0);  // unknown turn
}

TEST(Player, OldTurnsAreForgottenButNotWhileQueued) {
    Player p({.turns_kept = 2});
    p.push(1, constant(10, 1));
    p.push(2, constant(10, 2));
    p.push(3, constant(10, 3));  // turn 1 still queued: kept
    EXPECT_TRUE(p.playback(1));
    pull_n(p, 30);
    p.push(4, constant(10, 4));
    EXPECT_FALSE(p.playback(1));
    EXPECT_TRUE(p.playback(4));
}

TEST(Player, PullDoesNotAllocate) {
    Player p;
    for (TurnId t = 1; t <= 3; ++t) {
        for (int i = 0; i < 20; ++i) p.push(t, sine(480, 300.0, 8000.0));
    }
    Pcm frame(kFrame);
    p.pull(frame);  // warm
    const std::uint64_t before = test::thread_allocations();
    for (int i = 0; i < 100; ++i) {
        p.pull(frame);
        if (i == 20)
            p.pause();
        if (i == 30)
            p.resume();
    }
    const std::uint64_t after = test::thread_allocations();
    EXPECT_EQ(after - before, 0u);
    // The counter does count (the test can fail).
    Pcm probe;
    probe.reserve(10);
    EXPECT_GT(test::thread_allocations(), after);
}

TEST(Player, ConcurrentPushAndPullKeepOrder) {
    Player p;
    constexpr int kChunks = 400;
    std::thread io([&] {
        for (int i = 0; i < kChunks; ++i) {
            p.push(1, constant(100, static_cast<std::int16_t>(i % 30000)));
            if (i % 50 == 0)
                std::this_thread::yield();
        }
    });
    Pcm got;
    Pcm frame(kFrame);
    while (got.size() < static_cast<std::size_t>(kChunks) * 100) {
        const std::size_t n = p.pull(frame);
        got.insert(got.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
        if (n == 0)
            std::this_thread::yield();
    }
    io.join();
    // Gaps (silence on underrun) only ever fall between chunks here; the samples taken are in
    // order.
    for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], static_cast<std::int16_t>((i / 100) % 30000)) << "at " << i;
    }
}

}  // namespace
}  // namespace parley::dsp
