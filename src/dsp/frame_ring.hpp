// SPDX-License-Identifier: Apache-2.0
// FrameRing: a lock-free single-producer single-consumer ring of PCM16 samples between the rt
// callback and the dsp thread (capture ring, render ring, echo reference ring). Storage is
// allocated once in the constructor (power-of-two capacity); write, read and flush never
// allocate, lock or block, so either side may be rt. Read and write positions are 64-bit counters
// that only grow (never wrapped), published with release and read with acquire, as in Oboe's
// FifoBuffer. Only the consumer moves the read position, so only the consumer flushes; the
// producer asks for a flush with request_flush().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace parley::dsp {

class FrameRing {
public:
    // A ring holding at least `min_capacity_samples` samples (rounded up to a power of two).
    // Precondition: 0 < min_capacity_samples <= 2^30. Allocates; call off rt (at open()).
    explicit FrameRing(std::size_t min_capacity_samples);
    FrameRing(const FrameRing&) = delete;
    FrameRing& operator=(const FrameRing&) = delete;

    [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }

    // --- producer side (one thread) ---------------------------------------------------------
    // Copies as many samples of `in` as fit and returns how many (the rest is the caller's
    // overflow to count). Never blocks.
    std::size_t write(std::span<const std::int16_t> in) noexcept;
    // Free space the producer can write now without losing samples.
    [[nodiscard]] std::size_t available_to_write() const noexcept;
    // Asks the consumer to drop every sample written so far (e.g. on barge-in). Samples written
    // after this call are kept, so the next turn is never eaten. The consumer acts on it in
    // flush_if_requested(). Call from the producer thread.
    void request_flush() noexcept;

    // --- consumer side (one thread) ---------------------------------------------------------
    // Copies up to out.size() samples into `out` and returns how many. Never blocks.
    std::size_t read(std::span<std::int16_t> out) noexcept;
    // Samples the consumer can read now.
    [[nodiscard]] std::size_t available_to_read() const noexcept;
    // Drops up to `samples` readable samples without copying; returns how many were dropped.
    std::size_t discard(std::size_t samples) noexcept;
    // If the producer asked for a flush, drops everything written up to that request and returns
    // how many samples were dropped (0 when nothing was pending). Call before reading.
    std::size_t flush_if_requested() noexcept;
    // True while a requested flush has not been carried out yet (any thread; a hint).
    [[nodiscard]] bool flush_pending() const noexcept;

    // Total samples ever written / read (monotonic; for position accounting and tests).
    [[nodiscard]] std::uint64_t write_counter() const noexcept;
    [[nodiscard]] std::uint64_t read_counter() const noexcept;

private:
    std::unique_ptr<std::int16_t[]> buffer_;
    std::size_t mask_;
    // Each counter on its own cache line: the two sides write different ones.
    alignas(64) std::atomic<std::uint64_t> write_counter_{0};
    alignas(64) std::atomic<std::uint64_t> read_counter_{0};
    // "Drop everything before this write position"; only grows. Set by the producer.
    alignas(64) std::atomic<std::uint64_t> flush_before_{0};
};

}  // namespace parley::dsp
