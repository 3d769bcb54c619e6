// SPDX-License-Identifier: Apache-2.0
#include "dsp/error.hpp"

#include <string>

namespace parley::dsp {
namespace {

class DspCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.dsp"; }

    std::string message(int ev) const override {
        switch (static_cast<DspError>(ev)) {
            case DspError::kInvalidRate:
                return "invalid sample rate: use a rate between 1000 and 384000 Hz";
            case DspError::kInvalidArgument:
                return "invalid dsp setting: check the value against its documented range";
            case DspError::kResamplerFailed:
                return "the resampler (soxr) failed: check the rates and the soxr installation";
            case DspError::kNotVariableRate:
                return "ratio adjustment needs a resampler created with variable_ratio = true";
            case DspError::kVadFailed:
                return "the voice activity detector (webrtc-audio-processing) refused the "
                       "setting or frame: use 16 kHz mono 10 ms frames";
            case DspError::kFileNotFound:
                return "cannot open the audio file for reading: check the path and permissions";
            case DspError::kFileUnsupported:
                return "unsupported audio file: use a PCM WAV file (16-bit, mono or stereo)";
            case DspError::kFileOpenForWriteFailed:
                return "cannot create the WAV file: check that the folder exists and is writable";
            case DspError::kFileWriteFailed:
                return "writing the WAV file failed: check free disk space";
        }
        return "unknown dsp error";
    }

    std::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<DspError>(ev)) {
            case DspError::kInvalidRate:
            case DspError::kInvalidArgument:
            case DspError::kNotVariableRate:
                return make_error_condition(DspCondition::kBadConfig);
            case DspError::kFileNotFound:
            case DspError::kFileUnsupported:
            case DspError::kFileOpenForWriteFailed:
            case DspError::kFileWriteFailed:
                return make_error_condition(DspCondition::kFileError);
            default:
                return std::error_condition(ev, *this);
        }
    }
};

class DspConditionCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.dsp.condition"; }

    std::string message(int ev) const override {
        switch (static_cast<DspCondition>(ev)) {
            case DspCondition::kBadConfig:
                return "invalid dsp configuration";
            case DspCondition::kFileError:
                return "audio file error";
        }
        return "unknown dsp condition";
    }
};

}  // namespace

const std::error_category& dsp_category() noexcept {
    static const DspCategory category;
    return category;
}

const std::error_category& dsp_condition_category() noexcept {
    static const DspConditionCategory category;
    return category;
}

std::error_code make_error_code(DspError e) noexcept {
    return {static_cast<int>(e), dsp_category()};
}

std::error_condition make_error_condition(DspCondition c) noexcept {
    return {static_cast<int>(c), dsp_condition_category()};
}

}  // namespace parley::dsp
