// SPDX-License-Identifier: Apache-2.0
#include "dsp/frame_ring.hpp"

#include <atomic>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "allocation_count.hpp"
#include "dsp/frame.hpp"

namespace parley::dsp {
namespace {

// Sample value for absolute stream position `pos`: lets a reader check every sample it gets.
std::int16_t sample_at(std::uint64_t pos) {
    return static_cast<std::int16_t>(pos & 0xffff);
}

TEST(FrameTest, SamplesPerFrameFollowTheRate) {
    EXPECT_EQ(kFrameMs, 10);
    EXPECT_EQ(samples_per_frame(16000), 160u);
    EXPECT_EQ(samples_per_frame(24000), 240u);
    EXPECT_EQ(samples_per_frame(44100), 441u);
    EXPECT_EQ(samples_per_frame(48000), 480u);
    EXPECT_EQ(kInputFrameSamples, 160u);
    EXPECT_EQ(kOutputFrameSamples, 240u);
    EXPECT_EQ(ms_to_samples(250, 16000), 4000u);
    EXPECT_DOUBLE_EQ(samples_to_ms(480, 48000), 10.0);
}

TEST(FrameRingTest, CapacityIsRoundedUpToAPowerOfTwo) {
    EXPECT_EQ(FrameRing(1).capacity(), 1u);
    EXPECT_EQ(FrameRing(160).capacity(), 256u);
    EXPECT_EQ(FrameRing(1024).capacity(), 1024u);
    EXPECT_EQ(FrameRing(1025).capacity(), 2048u);
}

TEST(FrameRingTest, WritesWhatFitsAndReadsItBackInOrder) {
    FrameRing ring(8);
    EXPECT_EQ(ring.available_to_read(), 0u);
    EXPECT_EQ(ring.available_to_write(), 8u);
    const std::vector<std::int16_t> in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    EXPECT_EQ(ring.write(in), 8u);  // full: the last two do not fit
    EXPECT_EQ(ring.write(in), 0u);
    EXPECT_EQ(ring.available_to_read(), 8u);
    std::vector<std::int16_t> out(5);
    EXPECT_EQ(ring.read(out), 5u);
    EXPECT_EQ(out, (std::vector<std::int16_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(ring.write(std::span(in).subspan(8)), 2u);  // wraps around the end
    out.assign(10, 0);
    EXPECT_EQ(ring.read(out), 5u);
    EXPECT_EQ(std::vector<std::int16_t>(out.begin(), out.begin() + 5),
              (std::vector<std::int16_t>{6, 7, 8, 9, 10}));
    EXPECT_EQ(ring.read(out), 0u);
    EXPECT_EQ(ring.write_counter(), 10u);
    EXPECT_EQ(ring.read_counter(), 10u);
}

TEST(FrameRingTest, WrapsManyTimesWithOddSizesAndKeepsEverySample) {
    for (std::size_t capacity : {16u, 256u, 4096u}) {
        SCOPED_TRACE(capacity);
        FrameRing ring(capacity);
        std::mt19937 rng(42);
        std::uniform_int_distribution<std::size_t> size(0, capacity + 3);
        std::uint64_t written = 0;
        std::uint64_t read = 0;
        std::vector<std::int16_t> buf;
        for (int round = 0; round < 5000; ++round) {
            buf.resize(size(rng));
            for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = sample_at(written + i);
            written += ring.write(buf);
            buf.resize(size(rng));
            const std::size_t n = ring.read(buf);
            for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(buf[i], sample_at(read + i));
            read += n;
            ASSERT_EQ(ring.available_to_read(), written - read);
        }
        EXPECT_GT(read, capacity * 100);
    }
}

TEST(FrameRingTest, FlushDropsOnlyWhatWasWrittenBeforeTheRequest) {
    FrameRing ring(1024);
    const std::vector<std::int16_t> old_turn(300, 1);
    const std::vector<std::int16_t> new_turn(50, 2);
    EXPECT_EQ(ring.flush_if_requested(), 0u);  // nothing requested: no-op
    ring.write(old_turn);
    std::vector<std::int16_t> out(100);
    ring.read(out);  // 200 of the old turn left
    ring.request_flush();
    EXPECT_TRUE(ring.flush_pending());
    ring.write(new_turn);  // the next turn arrives before the consumer acts
    EXPECT_EQ(ring.flush_if_requested(), 200u);
    EXPECT_FALSE(ring.flush_pending());
    EXPECT_EQ(ring.flush_if_requested(), 0u);  // done once
    EXPECT_EQ(ring.available_to_read(), 50u);
    out.assign(100, 0);
    EXPECT_EQ(ring.read(out), 50u);
    for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(out[i], 2);
}

TEST(FrameRingTest, DiscardSkipsReadableSamples) {
    FrameRing ring(64);
    std::vector<std::int16_t> in(40);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = sample_at(i);
    ring.write(in);
    EXPECT_EQ(ring.discard(30), 30u);
    EXPECT_EQ(ring.discard(30), 10u);
    EXPECT_EQ(ring.available_to_read(), 0u);
}

TEST(FrameRingTest, NeverAllocatesAfterConstruction) {
    FrameRing ring(4096);
    std::vector<std::int16_t> frame(kInputFrameSamples, 7);
    std::vector<std::int16_t> out(kInputFrameSamples);
    const std::uint64_t before = test::thread_allocations();
    for (int i = 0; i < 1000; ++i) {
        ring.write(frame);
        if (i % 3 == 0)
            ring.request_flush();
        ring.flush_if_requested();
        ring.read(out);
        ring.discard(1);
        (void)ring.available_to_read();
        (void)ring.available_to_write();
    }
    EXPECT_EQ(test::thread_allocations() - before, 0u);
    // The counter does count (the test can fail). A direct call: a new-expression whose result
    // is unused may be elided.
    void* p = ::operator new(16);
    ::operator delete(p);
    EXPECT_EQ(test::thread_allocations() - before, 1u);
}

// Producer and consumer on two threads, odd chunk sizes, occasional flushes. Every sample the
// consumer gets must be the one written at that stream position, and flushes must only skip
// forward. Run under TSan (build-dsp-tsan) to check the memory ordering.
TEST(FrameRingTest, TwoThreadStressKeepsSamplesIntactAcrossFlushes) {
    constexpr std::uint64_t kTotal = 2'000'000;
    FrameRing ring(512);
    std::atomic<bool> producer_done{false};

    std::thread producer([&] {
        std::mt19937 rng(1);
        std::uniform_int_distribution<std::size_t> size(1, 300);
        std::uniform_int_distribution<int> flush_dice(0, 999);
        std::vector<std::int16_t> buf(300);
        std::uint64_t written = 0;
        while (written < kTotal) {
            const std::size_t n = std::min<std::uint64_t>(size(rng), kTotal - written);
            for (std::size_t i = 0; i < n; ++i) buf[i] = sample_at(written + i);
            written += ring.write(std::span(buf).first(n));
            if (flush_dice(rng) == 0)
                ring.request_flush();
            std::this_thread::yield();
        }
        producer_done.store(true, std::memory_order_release);
    });

    std::mt19937 rng(2);
    std::uniform_int_distribution<std::size_t> size(1, 333);
    std::vector<std::int16_t> buf(333);
    std::uint64_t received = 0;
    std::uint64_t flushed = 0;
    std::uint64_t bad = 0;
    while (true) {
        flushed += ring.flush_if_requested();
        const std::uint64_t pos = ring.read_counter();
        const std::size_t n = ring.read(std::span(buf).first(size(rng)));
        for (std::size_t i = 0; i < n; ++i) {
            if (buf[i] != sample_at(pos + i))
                ++bad;
        }
        received += n;
        if (n == 0) {
            if (producer_done.load(std::memory_order_acquire) && ring.available_to_read() == 0) {
                break;
            }
            std::this_thread::yield();
        }
    }
    producer.join();
    EXPECT_EQ(bad, 0u);
    EXPECT_EQ(received + flushed, kTotal);
    EXPECT_EQ(ring.read_counter(), kTotal);
    EXPECT_GT(flushed, 0u);
}

}  // namespace
}  // namespace parley::dsp
