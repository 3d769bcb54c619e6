// SPDX-License-Identifier: Apache-2.0
#include "device/portaudio_callback.hpp"

#include <pthread.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "device/file_device.hpp"
#include "device/null_device.hpp"
#include "device/pulse_callback.hpp"
#include "device/rt_bridge.hpp"
#include "device/rt_scope.hpp"
#include "support/test_audio.hpp"

// rt-safety: while a thread runs device callback code (RtScope is open), allocation, frees and
// mutex locks are recorded as violations. The traps:
//  - malloc/calloc/realloc/free/aligned allocation are interposed by this executable (not under
//    ASan, which owns malloc itself),
//  - operator new/delete (every form) are replaced,
//  - pthread_mutex_lock is wrapped at link time (-Wl,--wrap=pthread_mutex_lock).
// The callbacks are the real ones: portaudio_stream_callback with synthetic buffers, and the
// simulated devices' driver.

// The replacement operator new/delete below are malloc/free by design; once inlined, GCC sees
// "free of a new'ed pointer" at call sites.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {

std::atomic<int> g_allocations{0};
std::atomic<int> g_frees{0};
std::atomic<int> g_locks{0};

void note_allocation() {
    if (parley::device::in_rt_callback())
        g_allocations.fetch_add(1, std::memory_order_relaxed);
}
void note_free(void* p) {
    if (p != nullptr && parley::device::in_rt_callback())
        g_frees.fetch_add(1, std::memory_order_relaxed);
}

int violations() {
    return g_allocations.load() + g_frees.load() + g_locks.load();
}
void reset_violations() {
    g_allocations.store(0);
    g_frees.store(0);
    g_locks.store(0);
}

}  // namespace

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) {
    note_allocation();
    return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) {
    note_allocation();
    return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) {
    note_allocation();
    return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
    note_allocation();
    return __libc_memalign(alignment, n);
}
void* memalign(std::size_t alignment, std::size_t n) {
    note_allocation();
    return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
    note_allocation();
    void* p = __libc_memalign(alignment, n);
    if (p == nullptr)
        return ENOMEM;
    *out = p;
    return 0;
}
void free(void* p) {
    note_free(p);
    __libc_free(p);
}
}  // extern "C"
#define PARLEY_TEST_MALLOC_TRAPPED 1
#else
#define PARLEY_TEST_MALLOC_TRAPPED 0
#endif

// operator new/delete, every form, through malloc/free (so ASan still sees the memory).
void* operator new(std::size_t n) {
    note_allocation();
    if (void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    return operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    note_allocation();
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
    return operator new(n, t);
}
void* operator new(std::size_t n, std::align_val_t a) {
    note_allocation();
    void* p = nullptr;
    if (::posix_memalign(&p, std::max(static_cast<std::size_t>(a), sizeof(void*)), n ? n : 1) != 0)
        throw std::bad_alloc();
    return p;
}
void* operator new[](std::size_t n, std::align_val_t a) {
    return operator new(n, a);
}
void operator delete(void* p) noexcept {
    note_free(p);
    std::free(p);
}
void operator delete[](void* p) noexcept {
    operator delete(p);
}
void operator delete(void* p, std::size_t) noexcept {
    operator delete(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    operator delete(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    operator delete(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    operator delete(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    operator delete(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    operator delete(p);
}

extern "C" int __real_pthread_mutex_lock(pthread_mutex_t* m);
extern "C" int __wrap_pthread_mutex_lock(pthread_mutex_t* m) {
    if (parley::device::in_rt_callback())
        g_locks.fetch_add(1, std::memory_order_relaxed);
    return __real_pthread_mutex_lock(m);
}

namespace parley::device {
namespace {

using test::Samples;

// Drives portaudio_stream_callback like PortAudio would, over many buffer sizes, with underruns,
// overruns and flushes on the way.
void drive_portaudio_callback(StreamRole role, int in_channels, int out_channels) {
    RtBridge bridge(RtBridgeOptions{.input_rate_hz = 48000,
                                    .output_rate_hz = 48000,
                                    .capture_ring_ms = 50,
                                    .render_ring_ms = 50});
    PortAudioCallbackContext ctx;
    ctx.bridge = &bridge;
    ctx.role = role;
    ctx.input_channels = in_channels;
    ctx.output_channels = out_channels;
    ctx.allocate_scratch(1024);  // small, so large blocks go through the piecewise path
    const Samples tone = test::sine(440.0, 48000, 48000, 10000.0);
    std::vector<std::int16_t> in(5000 * 2);
    std::vector<std::int16_t> out(5000 * 2);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::int16_t>(i * 7);
    std::size_t played = 0;
    int round = 0;
    for (unsigned long frames : {480ul, 441ul, 1ul, 64ul, 4096ul, 5000ul, 13ul, 1024ul, 1025ul}) {
        for (int repeat = 0; repeat < 20; ++repeat, ++round) {
            // The dsp side (outside the callback): feed some, sometimes flush, drain sometimes.
            played += bridge.render_ring().write(std::span(tone).subspan(played % 40000, 700));
            if (round % 7 == 3)
                bridge.render_ring().request_flush();
            if (round % 3 == 0) {
                bridge.capture_ring().discard(bridge.capture_ring().available_to_read());
                bridge.reference_ring().discard(bridge.reference_ring().available_to_read());
            }
            const unsigned long flags = round % 11 == 0 ? 0x2ul /* paInputOverflow */ : 0ul;
            const void* input = role == StreamRole::kRender ? nullptr : in.data();
            void* output = role == StreamRole::kCapture ? nullptr : out.data();
            EXPECT_EQ(portaudio_stream_callback(input, output, frames, nullptr, flags, &ctx), 0);
        }
    }
    const DeviceStats s = bridge.stats();
    EXPECT_GT(s.callbacks, 0u);
    if (role != StreamRole::kCapture) {
        EXPECT_GT(s.flushes, 0u);
        EXPECT_GT(s.underruns, 0u);
    }
    if (role != StreamRole::kRender) {
        EXPECT_GT(s.overrun_samples, 0u);
    }
    EXPECT_GT(s.device_xruns, 0u);
}

// Drives PulseDevice's sample handling like its stream callbacks would: recorded fragments (some
// of them holes) and playback requests of many sizes, with underruns, overruns and flushes.
void drive_pulse_callbacks() {
    RtBridge bridge(RtBridgeOptions{.input_rate_hz = 44100,
                                    .output_rate_hz = 44100,
                                    .capture_ring_ms = 50,
                                    .render_ring_ms = 50});
    const Samples tone = test::sine(440.0, 44100, 44100, 10000.0);
    std::vector<std::int16_t> in(5000);
    std::vector<std::int16_t> out(5000);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::int16_t>(i * 7);
    std::size_t played = 0;
    int round = 0;
    for (std::size_t samples : {882ul, 441ul, 1ul, 64ul, 4096ul, 5000ul, 13ul}) {
        for (int repeat = 0; repeat < 20; ++repeat, ++round) {
            played += bridge.render_ring().write(std::span(tone).subspan(played % 40000, 700));
            if (round % 7 == 3)
                bridge.render_ring().request_flush();
            if (round % 3 == 0)
                bridge.capture_ring().discard(bridge.capture_ring().available_to_read());
            const std::size_t bytes = samples * sizeof(std::int16_t);
            pulse_capture(bridge, in.data(), bytes, round, true);
            pulse_capture(bridge, round % 5 == 0 ? nullptr : in.data(), bytes, round, false);
            pulse_render(bridge, out.data(), bytes, round);
        }
    }
    const DeviceStats s = bridge.stats();
    EXPECT_EQ(s.capture_callbacks, static_cast<std::uint64_t>(round));
    EXPECT_EQ(s.render_callbacks, static_cast<std::uint64_t>(round));
    EXPECT_GT(s.flushes, 0u);
    EXPECT_GT(s.underruns, 0u);
    EXPECT_GT(s.overrun_samples, 0u);
}

class RtSafetyTest : public ::testing::Test {
protected:
    void SetUp() override { reset_violations(); }
};

TEST_F(RtSafetyTest, TrapCatchesAnAllocatingCallback) {
    volatile std::size_t size = 64;
    void* volatile sink = nullptr;
    {
        RtScope rt;  // what a careless callback would do
        auto* v = new std::vector<int>(size);
        sink = v->data();
        delete v;
    }
    (void)sink;
    EXPECT_GE(g_allocations.load(), 2);
    EXPECT_GE(g_frees.load(), 2);
}

TEST_F(RtSafetyTest, TrapCatchesALockingCallback) {
    std::mutex m;
    {
        RtScope rt;
        std::lock_guard lock(m);
    }
    EXPECT_EQ(g_locks.load(), 1);
}

TEST_F(RtSafetyTest, TrapCatchesMallocDirectly) {
    if (!PARLEY_TEST_MALLOC_TRAPPED)
        GTEST_SKIP() << "malloc is the sanitizer's here; operator new and locks are still trapped";
    void* volatile p = nullptr;
    {
        RtScope rt;
        p = std::malloc(32);
        std::free(p);
    }
    EXPECT_EQ(g_allocations.load(), 1);
    EXPECT_EQ(g_frees.load(), 1);
}

TEST_F(RtSafetyTest, NothingIsTrappedOutsideTheCallback) {
    std::mutex m;
    { std::lock_guard lock(m); }
    auto* v = new std::vector<int>(100);
    delete v;
    EXPECT_EQ(violations(), 0);
}

TEST_F(RtSafetyTest, PortAudioCallbackDuplexMonoIsClean) {
    drive_portaudio_callback(StreamRole::kDuplex, 1, 1);
    EXPECT_EQ(violations(), 0) << g_allocations.load() << " allocations, " << g_frees.load()
                               << " frees, " << g_locks.load() << " locks";
}

TEST_F(RtSafetyTest, PortAudioCallbackDuplexStereoIsClean) {
    drive_portaudio_callback(StreamRole::kDuplex, 2, 2);
    EXPECT_EQ(violations(), 0) << g_allocations.load() << " allocations, " << g_frees.load()
                               << " frees, " << g_locks.load() << " locks";
}

TEST_F(RtSafetyTest, PortAudioCallbackTwoStreamsAreClean) {
    drive_portaudio_callback(StreamRole::kCapture, 2, 1);
    drive_portaudio_callback(StreamRole::kRender, 1, 2);
    EXPECT_EQ(violations(), 0) << g_allocations.load() << " allocations, " << g_frees.load()
                               << " frees, " << g_locks.load() << " locks";
}

TEST_F(RtSafetyTest, PulseCallbacksAreClean) {
    drive_pulse_callbacks();
    EXPECT_EQ(violations(), 0) << g_allocations.load() << " allocations, " << g_frees.load()
                               << " frees, " << g_locks.load() << " locks";
}

TEST_F(RtSafetyTest, FileDeviceDriverIsClean) {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("parley_rt_safety_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string in_path = (dir / "in.wav").string();
    ASSERT_TRUE(test::write_wav(in_path, test::white_noise(48000, 2000.0), 48000));
    for (Pacing pacing : {Pacing::kManual, Pacing::kUnpaced}) {
        SCOPED_TRACE(pacing == Pacing::kManual ? "manual" : "unpaced");
        FileDevice device(FileDeviceOptions{
            .input_path = in_path,
            .output_path = (dir / "out.wav").string(),
            .driver = {.pacing = pacing,
                       .block_samples = {480, 441, 7},
                       .echo_path =
                           [](std::span<const std::int16_t> played, std::span<std::int16_t> echo) {
                               for (std::size_t i = 0; i < played.size(); ++i)
                                   echo[i] = static_cast<std::int16_t>(played[i] / 4);
                           }},
        });
        ASSERT_TRUE(device.open());
        ASSERT_TRUE(device.start());
        const Samples tone = test::sine(300.0, 4800, 48000, 8000.0);
        std::vector<std::int16_t> buf(4096);
        std::size_t consumed = 0;
        while (!device.input_finished() || consumed < 60000) {
            device.render_ring().write(std::span(tone).first(
                std::min<std::size_t>(tone.size(), device.render_ring().available_to_write())));
            if (device.stats().callbacks % 50 == 25)
                device.flush_render();
            if (pacing == Pacing::kManual)
                device.step(3);
            const std::size_t n = device.capture_ring().read(buf);
            device.reference_ring().discard(n);
            consumed += n;
        }
        device.stop();
        device.close();
        EXPECT_GT(device.stats().callbacks, 100u);
    }
    fs::remove_all(dir);
    EXPECT_EQ(violations(), 0) << g_allocations.load() << " allocations, " << g_frees.load()
                               << " frees, " << g_locks.load() << " locks";
}

TEST_F(RtSafetyTest, NullDeviceDriverIsClean) {
    NullDevice device(NullDeviceOptions{.driver = {.pacing = Pacing::kUnpaced}});
    ASSERT_TRUE(device.open());
    ASSERT_TRUE(device.start());
    std::vector<std::int16_t> buf(4096);
    std::size_t consumed = 0;
    while (consumed < 48000) {
        const std::size_t n = device.capture_ring().read(buf);
        device.reference_ring().discard(n);
        consumed += n;
    }
    device.stop();
    EXPECT_EQ(violations(), 0);
}

}  // namespace
}  // namespace parley::device
