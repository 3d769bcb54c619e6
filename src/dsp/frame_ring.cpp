// SPDX-License-Identifier: Apache-2.0
#include "dsp/frame_ring.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "base/check.hpp"

namespace parley::dsp {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "FrameRing needs lock-free 64-bit atomics (rt side must not lock)");

FrameRing::FrameRing(std::size_t min_capacity_samples)
    : mask_(std::bit_ceil(std::max<std::size_t>(min_capacity_samples, 1)) - 1) {
    PARLEY_DCHECK(min_capacity_samples > 0 && min_capacity_samples <= (std::size_t{1} << 30));
    buffer_ = std::make_unique<std::int16_t[]>(mask_ + 1);
}

std::size_t FrameRing::write(std::span<const std::int16_t> in) noexcept {
    // Only this thread writes write_counter_, so relaxed is enough to read our own value; the
    // acquire on read_counter_ makes sure the consumer has finished copying out of the space we
    // are about to reuse.
    const std::uint64_t w = write_counter_.load(std::memory_order_relaxed);
    const std::uint64_t r = read_counter_.load(std::memory_order_acquire);
    const std::size_t free = capacity() - static_cast<std::size_t>(w - r);
    const std::size_t n = std::min(in.size(), free);
    if (n == 0)
        return 0;
    const std::size_t start = static_cast<std::size_t>(w) & mask_;
    const std::size_t first = std::min(n, capacity() - start);
    std::memcpy(buffer_.get() + start, in.data(), first * sizeof(std::int16_t));
    std::memcpy(buffer_.get(), in.data() + first, (n - first) * sizeof(std::int16_t));
    // Release: the samples are visible before the new count is.
    write_counter_.store(w + n, std::memory_order_release);
    return n;
}

std::size_t FrameRing::available_to_write() const noexcept {
    const std::uint64_t w = write_counter_.load(std::memory_order_relaxed);
    const std::uint64_t r = read_counter_.load(std::memory_order_acquire);
    return capacity() - static_cast<std::size_t>(w - r);
}

void FrameRing::request_flush() noexcept {
    const std::uint64_t w = write_counter_.load(std::memory_order_relaxed);
    flush_before_.store(w, std::memory_order_release);
}

std::size_t FrameRing::read(std::span<std::int16_t> out) noexcept {
    const std::uint64_t r = read_counter_.load(std::memory_order_relaxed);
    const std::uint64_t w = write_counter_.load(std::memory_order_acquire);
    const std::size_t n = std::min(out.size(), static_cast<std::size_t>(w - r));
    if (n == 0)
        return 0;
    const std::size_t start = static_cast<std::size_t>(r) & mask_;
    const std::size_t first = std::min(n, capacity() - start);
    std::memcpy(out.data(), buffer_.get() + start, first * sizeof(std::int16_t));
    std::memcpy(out.data() + first, buffer_.get(), (n - first) * sizeof(std::int16_t));
    // Release: we are done reading the space before the producer may overwrite it.
    read_counter_.store(r + n, std::memory_order_release);
    return n;
}

std::size_t FrameRing::available_to_read() const noexcept {
    const std::uint64_t r = read_counter_.load(std::memory_order_relaxed);
    const std::uint64_t w = write_counter_.load(std::memory_order_acquire);
    return static_cast<std::size_t>(w - r);
}

std::size_t FrameRing::discard(std::size_t samples) noexcept {
    const std::uint64_t r = read_counter_.load(std::memory_order_relaxed);
    const std::uint64_t w = write_counter_.load(std::memory_order_acquire);
    const std::size_t n = std::min(samples, static_cast<std::size_t>(w - r));
    read_counter_.store(r + n, std::memory_order_release);
    return n;
}

std::size_t FrameRing::flush_if_requested() noexcept {
    const std::uint64_t target = flush_before_.load(std::memory_order_acquire);
    const std::uint64_t r = read_counter_.load(std::memory_order_relaxed);
    if (target <= r)
        return 0;
    // The producer set target to a write position it had already published, so target <= w.
    const std::uint64_t w = write_counter_.load(std::memory_order_acquire);
    const std::uint64_t new_r = std::min(target, w);
    read_counter_.store(new_r, std::memory_order_release);
    return static_cast<std::size_t>(new_r - r);
}

bool FrameRing::flush_pending() const noexcept {
    return flush_before_.load(std::memory_order_acquire) >
           read_counter_.load(std::memory_order_acquire);
}

std::uint64_t FrameRing::write_counter() const noexcept {
    return write_counter_.load(std::memory_order_acquire);
}

std::uint64_t FrameRing::read_counter() const noexcept {
    return read_counter_.load(std::memory_order_acquire);
}

}  // namespace parley::dsp
