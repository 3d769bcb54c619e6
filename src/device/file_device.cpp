// SPDX-License-Identifier: Apache-2.0
#include "device/file_device.hpp"

#include <algorithm>
#include <cstring>

#include "device/error.hpp"
#include "dsp/error.hpp"

namespace parley::device {
namespace {
constexpr int kDefaultRateHz = 48000;
constexpr std::size_t kReadFrames = 4096;
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
    reader_.reset();
    resampler_.reset();
    input_.clear();
    input_samples_ = 0;
    if (!file_options_.input_path.empty()) {
        auto opened = dsp::WavReader::open(file_options_.input_path, why);
        if (!opened)
            return fail(opened.error());
        reader_.emplace(std::move(*opened));
        const auto& info = reader_->info();
        if (rate_hz == 0)
            rate_hz = info.sample_rate_hz;
        if (info.sample_rate_hz != rate_hz && rate_hz > 0) {
            auto resampler = dsp::Resampler::create(info.sample_rate_hz, rate_hz);
            if (!resampler) {
                if (why)
                    *why = file_options_.input_path + ": cannot convert " +
                           std::to_string(info.sample_rate_hz) + " Hz to " +
                           std::to_string(rate_hz) + " Hz";
                reader_.reset();
                return fail(dsp::DspError::kFileUnsupported);
            }
            resampler_.emplace(std::move(*resampler));
        }
        input_samples_ = static_cast<std::size_t>(static_cast<double>(info.frames) *
                                                      (rate_hz > 0 ? rate_hz : kDefaultRateHz) /
                                                      info.sample_rate_hz +
                                                  0.5);
    }
    if (rate_hz == 0)
        rate_hz = kDefaultRateHz;
    if (auto status = open_at(rate_hz, file_options_.output_rate_hz, why); !status)
        return status;
    if (!file_options_.output_path.empty()) {
        auto writer = dsp::WavWriter::create(file_options_.output_path, output_rate_hz(), 1);
        if (!writer) {
            if (why)
                *why = file_options_.output_path + ": " + writer.error().message();
            return fail(writer.error());
        }
        writer_.emplace(std::move(*writer));
    }
    input_pos_ = 0;
    input_finished_.store(!reader_ || reader_->info().frames == 0);
    return {};
}

bool FileDevice::read_input_block() {
    if (!reader_)
        return false;
    mono_block_.resize(kReadFrames);
    const auto got = reader_->read_mono(mono_block_);
    if (!got || *got == 0) {
        // A read error mid-file ends the input as the end of the file would.
        if (resampler_)
            resampler_->flush(input_);
        reader_.reset();
        return false;
    }
    const auto block = std::span(mono_block_).first(*got);
    if (resampler_)
        resampler_->process(block, input_);
    else
        input_.insert(input_.end(), block.begin(), block.end());
    return true;
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
    if (input_.size() - input_pos_ < in.size() && reader_) {
        input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(input_pos_));
        input_pos_ = 0;
        while (input_.size() < in.size() && read_input_block()) {
        }
    }
    const std::size_t n = std::min(in.size(), input_.size() - input_pos_);
    if (n > 0)
        std::memcpy(in.data(), input_.data() + input_pos_, n * sizeof(std::int16_t));
    std::fill(in.begin() + static_cast<std::ptrdiff_t>(n), in.end(), std::int16_t{0});
    input_pos_ += n;
    if (!reader_ && input_pos_ == input_.size())
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
