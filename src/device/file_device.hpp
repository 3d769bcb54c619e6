// SPDX-License-Identifier: Apache-2.0
// FileDevice: a Device whose microphone is a WAV file and whose speaker is a WAV file, for tests,
// the demo and `parley talk --in x.wav --out y.wav`. Input of any rate and channel count is read
// a block at a time as the driver captures it and converted to mono at the device's input rate,
// so a long file costs no more memory than a short one; after it ends the device keeps capturing
// silence and input_finished() turns true. Output is mono PCM16 at the device's output rate
// (WavWriter, the header valid after every block). Driven by SimulatedDevice (paced, unpaced or
// manual); file writes happen on the driver thread outside the rt scope. Control thread + driver.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device/simulated_device.hpp"
#include "dsp/resampler.hpp"
#include "dsp/wav_file.hpp"

namespace parley::device {

struct FileDeviceOptions {
    std::string input_path{};   // WAV to capture from; empty: silence
    std::string output_path{};  // WAV to write what is played; empty: discarded
    // Device input rate; 0 means the input file's rate (48000 Hz without an input file).
    int rate_hz = 0;
    // Device output rate; 0 means the input rate. A different rate needs no echo path.
    int output_rate_hz = 0;
    SimulatedDeviceOptions driver{};
};

class FileDevice final : public SimulatedDevice {
public:
    explicit FileDevice(FileDeviceOptions options);
    ~FileDevice() override;

    // Opens the input file, creates the output file. Errors: the dsp layer's kFileNotFound,
    // kFileUnsupported, kFileOpenForWriteFailed, kInvalidRate; DeviceError::kInvalidConfig.
    [[nodiscard]] Status open(std::string* why = nullptr) override;
    // Stops and closes the output file (its header is already valid). Idempotent.
    void close() override;
    [[nodiscard]] std::string name() const override;

    // True once every input sample has been captured (and from then on only silence is).
    [[nodiscard]] bool input_finished() const noexcept { return input_finished_.load(); }
    // Input length in device samples (after conversion); 0 before open().
    [[nodiscard]] std::size_t input_samples() const noexcept { return input_samples_; }
    // Samples written to the output file so far.
    [[nodiscard]] std::uint64_t output_samples() const noexcept { return output_samples_.load(); }
    // The first output write error, if one happened (writing stops after it).
    [[nodiscard]] std::optional<std::error_code> output_error() const;

protected:
    void fill_input(std::span<std::int16_t> in) override;
    void consume_output(std::span<const std::int16_t> out) override;
    Status reopen_sources(std::string* why) override;

private:
    // Converts the next block of the file into input_; false at its end. Driver thread.
    bool read_input_block();

    FileDeviceOptions file_options_;
    std::size_t input_samples_ = 0;
    // Driver thread only after open(): the file, its converter, and converted samples not yet
    // captured (from input_pos_ on).
    std::optional<dsp::WavReader> reader_;
    std::optional<dsp::Resampler> resampler_;
    std::vector<std::int16_t> mono_block_, input_;
    std::size_t input_pos_ = 0;
    std::atomic<bool> input_finished_{false};
    std::optional<dsp::WavWriter> writer_;
    std::atomic<std::uint64_t> output_samples_{0};
    std::atomic<int> output_error_value_{0};
    const std::error_category* output_error_category_ = nullptr;  // set once, before the flag
};

}  // namespace parley::device
