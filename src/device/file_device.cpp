// SPDX-License-Identifier: Apache-2.0
#include "device/file_device.hpp"

#include <algorithm>
#include <cstring>

#include "device/error.hpp"

namespace parley::device {
namespace {
constexpr int kDefaultRateHz = 48000;
}  // namespace

FileDevice::FileDevice(FileDeviceOptions options)
    : SimulatedDevice(options.driver), file_options_(std::move(options)) {}

FileDevice::~FileDevice() {
    close();
}

Status FileDevice::open(std::string* why) {
    if (is_open()) {
        if (why)
            *why = "the file device is already open";
        return fail(DeviceError::kInvalidConfig);
    }
    int rate_hz = file_options_.rate_hz;
    std::optional<dsp::WavReader> reader;
    if (!file_options_.input_path.empty()) {
        auto opened = dsp::WavReader::open(file_options_.input_path, why);
        if (!opened)
            return fail(opened.error());
        reader.emplace(std::move(*opened));
        if (rate_hz == 0)
            rate_hz = reader->info().sample_rate_hz;
    }
    if (rate_hz == 0)
        rate_hz = kDefaultRateHz;
    if (reader) {
        auto samples = reader->read_all_mono(rate_hz);
        if (!samples) {
            if (why)
                *why = file_options_.input_path + ": " + samples.error().message();
            return fail(samples.error());
        }
        input_ = std::move(*samples);
    }
    if (auto status = open_at(rate_hz, why); !status)
        return status;
    if (!file_options_.output_path.empty()) {
        auto writer = dsp::WavWriter::create(file_options_.output_path, rate_hz, 1);
        if (!writer) {
            if (why)
                *why =
                    "cannot create " + file_options_.output_path + ": " + writer.error().message();
            return fail(writer.error());
        }
        writer_.emplace(std::move(*writer));
    }
    input_pos_ = 0;
    input_finished_.store(input_.empty());
    return {};
}

void FileDevice::close() {
    SimulatedDevice::close();
    if (writer_) {
        (void)writer_->close();
        writer_.reset();
    }
}

std::string FileDevice::name() const {
    return "file " + (file_options_.input_path.empty() ? "(silence)" : file_options_.input_path) +
           " -> " + (file_options_.output_path.empty() ? "(discarded)" : file_options_.output_path);
}

std::optional<std::error_code> FileDevice::output_error() const {
    const int value = output_error_value_.load();
    if (value == 0)
        return std::nullopt;
    return std::error_code(value, *output_error_category_);
}

void FileDevice::fill_input(std::span<std::int16_t> in) {
    const std::size_t n = std::min(in.size(), input_.size() - input_pos_);
    if (n > 0)
        std::memcpy(in.data(), input_.data() + input_pos_, n * sizeof(std::int16_t));
    std::fill(in.begin() + static_cast<std::ptrdiff_t>(n), in.end(), std::int16_t{0});
    input_pos_ += n;
    if (input_pos_ == input_.size())
        input_finished_.store(true);
}

void FileDevice::consume_output(std::span<const std::int16_t> out) {
    if (!writer_ || output_error_value_.load() != 0)
        return;
    if (auto status = writer_->write(out); !status) {
        output_error_category_ = &status.error().category();
        output_error_value_.store(status.error().value());
        return;
    }
    output_samples_.fetch_add(out.size());
}

Status FileDevice::reopen_sources(std::string* /*why*/) {
    // A reopen after a stall continues where the file was: the rings and the output file stay.
    return {};
}

}  // namespace parley::device
