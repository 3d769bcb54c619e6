// SPDX-License-Identifier: Apache-2.0
// The dsp layer's error codes (DspError) and their std::error_category, in the style of Beast's
// websocket/error.hpp: one enum, one category, and conditions (DspCondition) that group codes.
// Any context; building an error_code never allocates.
#pragma once

#include <system_error>

namespace parley::dsp {

enum class DspError {
    kInvalidRate = 1,         // a sample rate outside [1000, 384000] Hz
    kInvalidArgument,         // a setting outside its documented range
    kResamplerFailed,         // soxr refused to create or process
    kNotVariableRate,         // set_ratio_adjust on a resampler created without variable_ratio
    kVadFailed,               // webrtc-audio-processing refused a setting or a frame
    kFileNotFound,            // a WAV file could not be opened for reading
    kFileUnsupported,         // a file that is not PCM WAV, or has the wrong rate/channels
    kFileOpenForWriteFailed,  // a WAV file could not be created
    kFileWriteFailed,         // writing samples failed (disk full, closed file)
};

// Groups of DspError for callers that only care about the kind of failure.
enum class DspCondition {
    kBadConfig = 1,  // kInvalidRate, kInvalidArgument, kNotVariableRate
    kFileError,      // any kFile* code
};

[[nodiscard]] const std::error_category& dsp_category() noexcept;
[[nodiscard]] const std::error_category& dsp_condition_category() noexcept;
[[nodiscard]] std::error_code make_error_code(DspError e) noexcept;
[[nodiscard]] std::error_condition make_error_condition(DspCondition c) noexcept;

}  // namespace parley::dsp

template <>
struct std::is_error_code_enum<parley::dsp::DspError> : std::true_type {};
template <>
struct std::is_error_condition_enum<parley::dsp::DspCondition> : std::true_type {};
