// SPDX-License-Identifier: Apache-2.0
#include "device/simulated_device.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "base/thread_name.hpp"
#include "device/error.hpp"
#include "device/rt_scope.hpp"
#include "dsp/frame.hpp"
#include "dsp/resampler.hpp"

namespace parley::device {
namespace {

constexpr std::size_t kMaxBlockSamples = std::size_t{1} << 16;
constexpr double kMaxClockPpm = 10000.0;
// Separate clocks: the echo resampler's output per block varies by a sample or two around the
// block size, so the echo fifo starts this much fuller.
constexpr std::size_t kEchoClockMarginSamples = 32;

std::int16_t saturate(std::int32_t v) {
    return static_cast<std::int16_t>(std::clamp<std::int32_t>(v, -32768, 32767));
}

}  // namespace

SimulatedDevice::SimulatedDevice(SimulatedDeviceOptions options)
    : options_(std::move(options)), clock_(options_.clock ? *options_.clock : Clock::steady()) {}

SimulatedDevice::~SimulatedDevice() {
    stop();
}

Status SimulatedDevice::open_at(int rate_hz, int output_rate_hz, std::string* why) {
    auto fail_with = [&](DeviceError e, std::string text) -> Status {
        if (why)
            *why = std::move(text);
        return fail(e);
    };
    if (output_rate_hz == 0)
        output_rate_hz = rate_hz;
    for (int rate : {rate_hz, output_rate_hz}) {
        if (!dsp::is_valid_rate_hz(rate))
            return fail_with(DeviceError::kInvalidConfig, "device rate " + std::to_string(rate) +
                                                              " Hz is outside [1000, 384000] Hz");
    }
    if (options_.echo_path && output_rate_hz != rate_hz)
        return fail_with(DeviceError::kInvalidConfig,
                         "a simulated echo path needs the same input and output rate");
    if (options_.block_samples.empty())
        options_.block_samples.push_back(dsp::samples_per_frame(rate_hz));
    for (std::size_t b : options_.block_samples) {
        if (b == 0 || b > kMaxBlockSamples)
            return fail_with(DeviceError::kInvalidConfig, "device block size " + std::to_string(b) +
                                                              " samples is outside [1, 65536]");
    }
    if (!(std::abs(options_.output_clock_ppm) <= kMaxClockPpm))
        return fail_with(DeviceError::kInvalidConfig,
                         "a simulated output clock may differ by at most 10000 ppm");
    if (options_.unpaced_lookahead_ms <= 0 || options_.capture_ring_ms <= 0 ||
        options_.render_ring_ms <= 0 || options_.flush_fade_ms <= 0)
        return fail_with(DeviceError::kInvalidConfig,
                         "ring, lookahead and fade lengths must be positive milliseconds");
    max_block_samples_ =
        *std::max_element(options_.block_samples.begin(), options_.block_samples.end());
    // The rings must hold a few device blocks, however large the blocks are.
    const int block_ms =
        static_cast<int>(dsp::samples_to_ms(static_cast<double>(max_block_samples_), rate_hz)) + 1;
    const RtBridgeOptions bridge_options{
        .input_rate_hz = rate_hz,
        .output_rate_hz = output_rate_hz,
        .capture_ring_ms = std::max(options_.capture_ring_ms, 4 * block_ms),
        .render_ring_ms = std::max(options_.render_ring_ms, 4 * block_ms),
        .flush_fade_ms = options_.flush_fade_ms,
        .reference_enabled = options_.reference_enabled,
    };
    if (!ensure_bridge(bridge_options))
        return fail_with(DeviceError::kInvalidConfig, "a device cannot change rate when reopened");
    in_.assign(max_block_samples_, 0);
    // A block's output, whatever the carried remainder, is at most one more than this.
    const std::size_t max_out = output_samples_for(max_block_samples_) + 1;
    out_.assign(max_out, 0);
    echo_.assign(std::max(max_block_samples_, max_out), 0);
    // Echo is heard a constant delay after it was played (the fifo starts that full and each
    // block takes out what it puts in), whatever the block sizes are.
    std::vector<std::int16_t> prefill(max_block_samples_, 0);
    echo_delay_samples_ = max_block_samples_;
    echo_clock_.reset();
    if (options_.echo_path && has_separate_clocks()) {
        auto resampler =
            dsp::Resampler::create(output_rate_hz, rate_hz,
                                   {.variable_ratio = true, .max_ratio_adjust_ppm = kMaxClockPpm});
        if (!resampler)
            return fail_with(DeviceError::kInvalidConfig, resampler.error().message());
        // Played at the output clock's pace, heard at the input clock's: (1 + ppm) played
        // samples per heard one.
        if (auto set = resampler->set_ratio_adjust(options_.output_clock_ppm); !set)
            return fail_with(DeviceError::kInvalidConfig, set.error().message());
        // soxr holds input back before its (time-aligned) output comes: silence fed until what
        // came out covers a block, and the output's jitter, makes the echo delay exactly the
        // silence fed.
        prefill.clear();
        echo_delay_samples_ = 0;
        const std::vector<std::int16_t> silence(16, 0);
        while (prefill.size() < max_block_samples_ + kEchoClockMarginSamples) {
            resampler->process(silence, prefill);
            echo_delay_samples_ += silence.size();
        }
        echo_clock_.emplace(std::move(*resampler));
        echo_at_input_.reserve(2 * max_out);
    }
    echo_fifo_ = std::make_unique<dsp::FrameRing>(2 * (prefill.size() + max_out));
    echo_fifo_->write(prefill);
    next_block_ = 0;
    return {};
}

DeviceLatency SimulatedDevice::latency() const {
    if (!options_.echo_path || !is_open())
        return {};
    const auto us = static_cast<std::int64_t>(static_cast<double>(echo_delay_samples_) * 1e6 /
                                              output_rate_hz());
    return DeviceLatency{.input = std::chrono::microseconds(0),
                         .output = std::chrono::microseconds(us)};
}

Status SimulatedDevice::start(std::string* why) {
    if (!is_open()) {
        if (why)
            *why = "the device is not open: call open() first";
        return fail(DeviceError::kNotOpen);
    }
    if (running_.load())
        return {};
    bridge()->mark_started(clock_.now().time_since_epoch().count());
    stop_requested_.store(false);
    paced_from_ = clock_.now();
    paced_samples_ = 0;
    running_.store(true);
    if (options_.pacing != Pacing::kManual && options_.pacing != Pacing::kRealtimeOnReader)
        driver_ = std::thread([this] {
            name_this_thread("parley-device");
            driver_loop();
        });
    return {};
}

void SimulatedDevice::stop() {
    stop_requested_.store(true);
    if (driver_.joinable())
        driver_.join();
    running_.store(false);
}

void SimulatedDevice::close() {
    stop();
}

Status SimulatedDevice::reopen(std::string* why) {
    stop();
    if (!is_open()) {
        if (why)
            *why = "the device is not open: call open() first";
        return fail(DeviceError::kNotOpen);
    }
    if (auto status = reopen_sources(why); !status)
        return status;
    return start(why);
}

std::size_t SimulatedDevice::step(std::size_t blocks) {
    if (options_.pacing != Pacing::kManual || !running_.load())
        return 0;
    for (std::size_t i = 0; i < blocks; ++i) run_block();
    return blocks;
}

bool SimulatedDevice::step_until_read(std::chrono::milliseconds timeout) {
    if (step(1) == 0)
        return false;
    const std::size_t may_stay =
        has_separate_clocks() ? static_cast<std::size_t>(input_rate_hz()) / 100 : 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (capture_ring().available_to_read() > may_stay) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
}

bool SimulatedDevice::run_next_callback() {
    if (options_.pacing != Pacing::kRealtimeOnReader || !running_.load())
        return false;
    clock_.sleep_until(next_block_due());
    run_block();
    return true;
}

std::optional<Clock::TimePoint> SimulatedDevice::next_callback_due() const {
    if (options_.pacing != Pacing::kRealtimeOnReader || !running_.load() ||
        &clock_ != &Clock::steady())
        return std::nullopt;
    return next_block_due();
}

Clock::TimePoint SimulatedDevice::next_block_due() const {
    return paced_from_ + std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(
                             static_cast<double>(paced_samples_) / input_rate_hz()));
}

std::size_t SimulatedDevice::output_samples_for(std::size_t input_samples) const {
    const auto in_rate = static_cast<std::uint64_t>(input_rate_hz());
    const auto out_rate = static_cast<std::uint64_t>(output_rate_hz());
    if (has_separate_clocks()) {
        const double per_input = static_cast<double>(out_rate) / static_cast<double>(in_rate) *
                                 (1.0 + options_.output_clock_ppm * 1e-6);
        const auto done =
            static_cast<std::uint64_t>(static_cast<double>(paced_samples_) * per_input);
        return static_cast<std::size_t>(
            static_cast<std::uint64_t>(static_cast<double>(paced_samples_ + input_samples) *
                                       per_input) -
            done);
    }
    const std::uint64_t done = paced_samples_ * out_rate / in_rate;
    return static_cast<std::size_t>((paced_samples_ + input_samples) * out_rate / in_rate - done);
}

void SimulatedDevice::run_block() {
    const std::size_t n = options_.block_samples[next_block_];
    next_block_ = (next_block_ + 1) % options_.block_samples.size();
    const std::span<std::int16_t> in(in_.data(), n);
    const std::span<std::int16_t> out(out_.data(), output_samples_for(n));
    const std::span<std::int16_t> heard(echo_.data(), n);

    fill_input(in);
    if (options_.echo_path) {
        const std::size_t got = echo_fifo_->read(heard);
        std::fill(heard.begin() + static_cast<std::ptrdiff_t>(got), heard.end(), std::int16_t{0});
        for (std::size_t i = 0; i < n; ++i) in[i] = saturate(std::int32_t{in[i]} + heard[i]);
    }
    {
        // The device callback proper: exactly what the PortAudio callback runs.
        RtScope rt;
        const auto now = clock_.now().time_since_epoch().count();
        if (input_rate_hz() == output_rate_hz() && !has_separate_clocks()) {
            bridge()->process_duplex(in, out, now);
        } else {
            bridge()->process_capture(in, now);
            bridge()->process_render(out, now);
        }
    }
    consume_output(out);
    if (options_.echo_path) {
        const std::span<std::int16_t> echo(echo_.data(), out.size());
        std::fill(echo.begin(), echo.end(), std::int16_t{0});
        options_.echo_path(out, echo);
        if (echo_clock_) {
            echo_at_input_.clear();
            echo_clock_->process(echo, echo_at_input_);
            echo_fifo_->write(echo_at_input_);
        } else {
            echo_fifo_->write(echo);
        }
    }
    paced_samples_ += n;
    blocks_run_.fetch_add(1);
}

void SimulatedDevice::driver_loop() {
    const auto lookahead = std::max(
        dsp::ms_to_samples(options_.unpaced_lookahead_ms, input_rate_hz()), std::size_t{1});
    while (!stop_requested_.load(std::memory_order_acquire)) {
        if (options_.pacing == Pacing::kRealtime) {
            clock_.sleep_until(next_block_due());
        } else if (capture_ring().available_to_read() >= lookahead) {
            // Unpaced: the dsp side has not consumed yet. The rings are lock-free, so there is
            // nothing to wait on; a short sleep keeps this from spinning a core.
            std::this_thread::sleep_for(std::chrono::microseconds(100));
            continue;
        }
        run_block();
    }
}

}  // namespace parley::device
