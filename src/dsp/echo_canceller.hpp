// SPDX-License-Identifier: Apache-2.0
// EchoCanceller: removes the loudspeaker's echo from the microphone on 10 ms frames of 16 kHz mono
// PCM16, with speexdsp's MDF canceller (optionally followed by its residual echo suppressor) or
// webrtc-audio-processing 0.3's AEC. The dsp thread calls analyze_render() with what the speaker
// played, then process_capture() with the microphone frame of the same 10 ms. Not thread-safe;
// one owner. Owns the engine state; allocates only in create(). The only file that includes
// speexdsp headers, and (with vad.cpp) webrtc-audio-processing headers, is echo_canceller.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

#include "base/result.hpp"

namespace parley::dsp {

// Which engine cancels the echo. Measured on tests/support/room (flite far end through a
// non-linear loudspeaker, 60 ms delay, RT60 300 ms, echo -10 dB; a different flite voice as the
// near end; tests/unit/dsp/echo_canceller_test.cpp with PARLEY_AEC_REPORT=1 prints the full
// table, BENCHMARKS.md has it):
//   mode              ERLE (single talk)   loss of the user's voice (double talk)
//   kSpeex            22.8 dB              0.0 dB
//   kSpeexPreprocess  28.3 dB              0.8 dB
//   kSpeexResidual    31.1 dB              3.5 dB   <- default
//   kWebrtcLow        48.8 dB              8.9 dB
//   kWebrtcModerate   52.6 dB             11.1 dB
//   kWebrtcHigh       53.0 dB             14.4 dB
// Why kSpeexResidual: it is the only mode with >= 30 dB ERLE that keeps the user's voice within
// 6 dB while both talk; webrtc's suppressor removes more echo but cuts the user by 9-16 dB, which
// hurts barge-in and recognition. What it leaves is handled by EchoGate. With the delay mis-set
// by -60..+30 ms it still removes 28.7-33.5 dB. CPU: ~0.5 % of one core for any mode.
enum class EchoMode {
    kOff,              // pass-through (headphones)
    kSpeex,            // speexdsp MDF linear adaptive filter only
    kSpeexPreprocess,  // MDF + speexdsp's spectral residual echo suppressor (speex_preprocess)
    kSpeexResidual,    // MDF + our broadband residual echo suppressor (residual_* settings)
    kWebrtcLow,        // webrtc AEC, extended filter, delay-agnostic, kLowSuppression
    kWebrtcModerate,   // ... kModerateSuppression
    kWebrtcHigh,       // ... kHighSuppression
};

[[nodiscard]] std::string_view echo_mode_name(EchoMode mode);

inline constexpr EchoMode kDefaultEchoMode = EchoMode::kSpeexResidual;

struct EchoCancellerConfig {
    EchoMode mode = kDefaultEchoMode;
    // Only 16000 (the capture path's rate).
    int sample_rate_hz = 16000;
    // Delay from analyze_render() of a sample to process_capture() of its echo (output latency +
    // input latency + resampler delays), as set_stream_delay_ms(). Range [0, max_delay_ms].
    int stream_delay_ms = 0;
    // speexdsp: the longest delay the render history can cover. Range [0, 1000].
    int max_delay_ms = 500;
    // speexdsp: echo tail the adaptive filter models, after the compensated delay. It must
    // cover the room's reverberation and any error of stream_delay_ms. Range [40, 1000].
    int tail_ms = 256;
    // speexdsp: the reference is delayed by stream_delay_ms - this margin, so a delay set up to
    // this much too high still leaves the echo inside the filter (a filter cannot model an echo
    // that arrives before its reference). Range [0, 200].
    int delay_margin_ms = 40;
    // kSpeexPreprocess: residual echo attenuation (dB, negative) with the near end silent and
    // while it talks (speex_preprocess's ECHO_SUPPRESS and ECHO_SUPPRESS_ACTIVE).
    int echo_suppress_db = -40;
    int echo_suppress_active_db = -15;
    // kSpeexPreprocess: the suppressor needs speex_preprocess's noise suppression on; this is its
    // maximum attenuation of stationary noise (dB, negative).
    int noise_suppress_db = -15;
    // kSpeexResidual: per 10 ms frame, the residual echo is predicted as the linear filter's
    // echo estimate times its leakage (tracked in echo-only frames), and the frame gets the gain
    // 1 - residual_overestimate * predicted / actual, floored at residual_floor_db. While the
    // user talks the actual energy is far above the prediction and the gain stays near 1.
    double residual_floor_db = -20.0;    // range [-60, 0]
    double residual_overestimate = 8.0;  // range [1, 100]
};

// Errors of create() beyond DspError::kInvalidRate / kInvalidArgument.
enum class EchoCancellerError {
    kEngineFailed = 1,  // speexdsp or webrtc-audio-processing refused to initialize
};
[[nodiscard]] const std::error_category& echo_canceller_category() noexcept;
[[nodiscard]] std::error_code make_error_code(EchoCancellerError e) noexcept;

class EchoCanceller {
public:
    // Errors: DspError::kInvalidRate (not 16000), DspError::kInvalidArgument (a setting out of
    // range), EchoCancellerError::kEngineFailed.
    [[nodiscard]] static Result<EchoCanceller> create(const EchoCancellerConfig& config = {});

    EchoCanceller(EchoCanceller&&) noexcept;
    EchoCanceller& operator=(EchoCanceller&&) noexcept;
    EchoCanceller(const EchoCanceller&) = delete;
    EchoCanceller& operator=(const EchoCanceller&) = delete;
    ~EchoCanceller();

    // What the speaker played during one 10 ms frame, at 16 kHz (precondition: 160 samples).
    // Call once per frame, before process_capture() of the same frame, with silence when
    // nothing played, so the render history stays in step with capture. Does not allocate.
    void analyze_render(std::span<const std::int16_t> frame);

    // Cancels the echo in one 10 ms microphone frame (160 samples) into `out` (160 samples; may
    // be the same memory as `capture`). Does not allocate.
    void process_capture(std::span<const std::int16_t> capture, std::span<std::int16_t> out);

    // speexdsp modes: the last process_capture() frame as the linear filter left it, before any
    // residual suppression (which can cut the user's voice under loud echo); empty otherwise.
    [[nodiscard]] std::span<const std::int16_t> linear_output() const;

    // Sets the render-to-capture delay (clamped to [0, max_delay_ms]). speexdsp: moves the
    // reference; webrtc: passed on each frame (its delay-agnostic mode refines it).
    void set_stream_delay_ms(int delay_ms);
    [[nodiscard]] int stream_delay_ms() const;

    [[nodiscard]] EchoMode mode() const;

    // Forgets the adapted echo path and the render history (a new device or stream).
    void reset();

private:
    struct Impl;
    explicit EchoCanceller(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace parley::dsp

template <>
struct std::is_error_code_enum<parley::dsp::EchoCancellerError> : std::true_type {};
