// SPDX-License-Identifier: Apache-2.0
#include "dsp/echo_canceller.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

#include "base/check.hpp"
#include "base/log.hpp"
#include "dsp/error.hpp"
#include "dsp/frame.hpp"

namespace parley::dsp {
namespace {

constexpr int kRateHz = kInputRateHz;
constexpr std::size_t kFrame = kInputFrameSamples;

class EchoCancellerCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parley.dsp.echo_canceller"; }
    std::string message(int ev) const override {
        switch (static_cast<EchoCancellerError>(ev)) {
            case EchoCancellerError::kEngineFailed:
                return "the echo canceller engine (speexdsp / webrtc-audio-processing) failed to "
                       "initialize: check the installed libraries or pick another EchoMode";
        }
        return "unknown echo canceller error";
    }
};

bool is_webrtc(EchoMode mode) {
    return mode == EchoMode::kWebrtcLow || mode == EchoMode::kWebrtcModerate ||
           mode == EchoMode::kWebrtcHigh;
}
bool is_speex(EchoMode mode) {
    return mode == EchoMode::kSpeex || mode == EchoMode::kSpeexPreprocess ||
           mode == EchoMode::kSpeexResidual;
}

}  // namespace

std::string_view echo_mode_name(EchoMode mode) {
    switch (mode) {
        case EchoMode::kOff:
            return "off";
        case EchoMode::kSpeex:
            return "speex";
        case EchoMode::kSpeexPreprocess:
            return "speex+preprocess";
        case EchoMode::kSpeexResidual:
            return "speex+residual";
        case EchoMode::kWebrtcLow:
            return "webrtc-low";
        case EchoMode::kWebrtcModerate:
            return "webrtc-moderate";
        case EchoMode::kWebrtcHigh:
            return "webrtc-high";
    }
    return "unknown";
}

const std::error_category& echo_canceller_category() noexcept {
    static const EchoCancellerCategory category;
    return category;
}

std::error_code make_error_code(EchoCancellerError e) noexcept {
    return {static_cast<int>(e), echo_canceller_category()};
}

struct EchoCanceller::Impl {
    EchoCancellerConfig config;
    int delay_ms = 0;

    // speexdsp
    SpeexEchoState* echo = nullptr;
    SpeexPreprocessState* preprocess = nullptr;
    // Render history for the speexdsp reference: a ring of the last `history.size()` samples;
    // `render_written` counts samples ever written (only grows).
    std::vector<std::int16_t> history;
    std::uint64_t render_written = 0;
    std::vector<std::int16_t> reference;
    std::array<std::int16_t, kFrame> linear{};  // the last frame before residual suppression
    // kSpeexResidual state: leakage of the linear filter (residual / echo estimate energy),
    // the decaying echo-estimate energy, and the gain applied at the end of the last frame.
    double leakage = 1.0;
    double echo_estimate_energy = 0.0;
    double residual_gain = 1.0;
    double hp_in = 0.0;  // DC blocker state on the echo estimate
    double hp_out = 0.0;
    double reference_energy = 0.0;  // decaying envelope of the reference energy

    // webrtc
    std::unique_ptr<webrtc::AudioProcessing> apm;
    webrtc::AudioFrame apm_frame;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() { destroy_speex(); }

    void destroy_speex() {
        if (preprocess != nullptr)
            speex_preprocess_state_destroy(preprocess);
        if (echo != nullptr)
            speex_echo_state_destroy(echo);
        preprocess = nullptr;
        echo = nullptr;
    }

    [[nodiscard]] bool init_speex() {
        destroy_speex();
        const int tail_samples = config.tail_ms * kRateHz / 1000;
        echo = speex_echo_state_init(static_cast<int>(kFrame), tail_samples);
        if (echo == nullptr)
            return false;
        int rate = kRateHz;
        speex_echo_ctl(echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
        if (config.mode == EchoMode::kSpeexPreprocess) {
            preprocess = speex_preprocess_state_init(static_cast<int>(kFrame), kRateHz);
            if (preprocess == nullptr)
                return false;
            // The residual echo suppressor lives inside the noise suppressor's gain computation,
            // which only applies its gains with denoising on.
            int on = 1;
            int off = 0;
            int noise = config.noise_suppress_db;
            int suppress = config.echo_suppress_db;
            int active = config.echo_suppress_active_db;
            speex_preprocess_ctl(preprocess, SPEEX_PREPROCESS_SET_DENOISE, &on);
            speex_preprocess_ctl(preprocess, SPEEX_PREPROCESS_SET_AGC, &off);
            speex_preprocess_ctl(preprocess, SPEEX_PREPROCESS_SET_DEREVERB, &off);
            speex_preprocess_ctl(preprocess, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &noise);
            speex_preprocess_ctl(preprocess, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, &suppress);
            speex_preprocess_ctl(preprocess, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, &active);
            speex_preprocess_ctl(preprocess, SPEEX_PREPROCESS_SET_ECHO_STATE, echo);
        }
        std::fill(history.begin(), history.end(), std::int16_t{0});
        render_written = 0;
        leakage = 1.0;
        echo_estimate_energy = 0.0;
        residual_gain = 1.0;
        hp_in = hp_out = reference_energy = 0.0;
        return true;
    }

    [[nodiscard]] bool init_webrtc() {
        webrtc::Config apm_config;
        // ExtendedFilter: a longer filter that copes with reverberant rooms and delay jitter;
        // DelayAgnostic: estimates the delay itself, since device latencies are never exact.
        apm_config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
        apm_config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
        apm.reset(webrtc::AudioProcessing::Create(apm_config));
        if (apm == nullptr)
            return false;
        using webrtc::AudioProcessing;
        using webrtc::EchoCancellation;
        if (apm->Initialize(kRateHz, kRateHz, kRateHz, AudioProcessing::kMono,
                            AudioProcessing::kMono, AudioProcessing::kMono) != 0) {
            return false;
        }
        EchoCancellation::SuppressionLevel level = EchoCancellation::kModerateSuppression;
        if (config.mode == EchoMode::kWebrtcLow)
            level = EchoCancellation::kLowSuppression;
        if (config.mode == EchoMode::kWebrtcHigh)
            level = EchoCancellation::kHighSuppression;
        EchoCancellation* aec = apm->echo_cancellation();
        return aec->enable_drift_compensation(false) == 0 &&
               aec->set_suppression_level(level) == 0 && aec->Enable(true) == 0;
    }

    [[nodiscard]] bool init() {
        if (is_speex(config.mode))
            return init_speex();
        if (is_webrtc(config.mode))
            return init_webrtc();
        return true;
    }

    // kSpeexResidual: a broadband residual echo suppressor after the linear filter. `in` is the
    // microphone, `out` the linear filter's output (changed in place).
    void suppress_residual(std::span<const std::int16_t> in, std::span<std::int16_t> out) {
        double e_out = 0.0;
        double e_echo = 0.0;
        double e_reference = 0.0;
        for (std::size_t i = 0; i < kFrame; ++i) {
            const double o = out[i];
            // The filter's echo estimate. speexdsp removes DC from the microphone before
            // cancelling, so in - out also holds the microphone's DC and lowest frequencies:
            // a DC blocker (pole 0.98, ~50 Hz) takes them out again.
            const double d = static_cast<double>(in[i]) - o;
            hp_out = d - hp_in + 0.98 * hp_out;
            hp_in = d;
            e_out += o * o;
            e_echo += hp_out * hp_out;
            e_reference += static_cast<double>(reference[i]) * reference[i];
        }
        e_out /= kFrame;
        e_echo /= kFrame;
        e_reference /= kFrame;
        // No far end for the last ~0.5 s (reference envelope decays 1 dB per frame): no echo,
        // nothing to suppress.
        reference_energy = std::max(e_reference, 0.79 * reference_energy);
        constexpr double kActiveEnergy = 32768.0 * 32768.0 * 1e-7;  // -70 dBFS
        if (reference_energy < kActiveEnergy) {
            apply_gain(out, 1.0);
            return;
        }
        // The echo estimate decays by ~3 dB per 10 ms frame at most: residual echo lingers a
        // little after the estimate drops (reverberation the filter models imperfectly).
        echo_estimate_energy = std::max(e_echo, 0.5 * echo_estimate_energy);
        // Leakage: only where the echo estimate is well above the noise floor (-70 dBFS). It
        // falls fast (a converging filter, echo-only frames) and rises slowly (double talk
        // must not teach it that the user's voice is echo; a changed room takes seconds).
        if (echo_estimate_energy > kActiveEnergy) {
            const double ratio = std::min(1.0, e_out / echo_estimate_energy);
            leakage =
                ratio < leakage ? 0.7 * leakage + 0.3 * ratio : 0.995 * leakage + 0.005 * ratio;
        }
        const double predicted = leakage * echo_estimate_energy;
        const double floor = std::pow(10.0, config.residual_floor_db / 20.0);
        double target = 1.0;
        if (e_out > 0.0 && predicted > 0.0) {
            target =
                std::sqrt(std::max(0.0, 1.0 - config.residual_overestimate * predicted / e_out));
        }
        apply_gain(out, std::clamp(target, floor, 1.0));
    }

    // Ramps from the last frame's gain to `target` across this frame: no steps, no clicks.
    void apply_gain(std::span<std::int16_t> out, double target) {
        const double start = residual_gain;
        for (std::size_t i = 0; i < kFrame; ++i) {
            const double g = start + (target - start) * static_cast<double>(i + 1) / kFrame;
            out[i] = static_cast<std::int16_t>(std::lround(out[i] * g));
        }
        residual_gain = target;
    }

    // The reference for the capture frame about to be processed: the render frame written
    // last ([W - 160, W) in render samples), moved back by the compensated delay. Samples before
    // the first render frame are silence.
    void fill_reference() {
        const int compensated_ms = std::max(0, delay_ms - config.delay_margin_ms);
        const auto shift = static_cast<std::uint64_t>(compensated_ms) * kRateHz / 1000;
        const std::uint64_t cap = history.size();  // >= shift + kFrame (create())
        for (std::size_t i = 0; i < kFrame; ++i) {
            const std::uint64_t want = render_written + i;  // render index + kFrame + shift
            const bool valid = render_written >= kFrame && want >= kFrame + shift;
            reference[i] = valid ? history[(want - kFrame - shift) % cap] : std::int16_t{0};
        }
    }
};

EchoCanceller::EchoCanceller(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EchoCanceller::EchoCanceller(EchoCanceller&&) noexcept = default;
EchoCanceller& EchoCanceller::operator=(EchoCanceller&&) noexcept = default;
EchoCanceller::~EchoCanceller() = default;

Result<EchoCanceller> EchoCanceller::create(const EchoCancellerConfig& config) {
    if (config.sample_rate_hz != kRateHz)
        return fail(DspError::kInvalidRate);
    const bool valid =
        config.max_delay_ms >= 0 && config.max_delay_ms <= 1000 && config.stream_delay_ms >= 0 &&
        config.stream_delay_ms <= config.max_delay_ms && config.tail_ms >= 40 &&
        config.tail_ms <= 1000 && config.delay_margin_ms >= 0 && config.delay_margin_ms <= 200 &&
        config.echo_suppress_db <= 0 && config.echo_suppress_db >= -100 &&
        config.echo_suppress_active_db <= 0 && config.echo_suppress_active_db >= -100 &&
        config.noise_suppress_db <= 0 && config.noise_suppress_db >= -100 &&
        config.residual_floor_db <= 0.0 && config.residual_floor_db >= -60.0 &&
        config.residual_overestimate >= 1.0 && config.residual_overestimate <= 100.0;
    if (!valid)
        return fail(DspError::kInvalidArgument);
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->delay_ms = config.stream_delay_ms;
    // History: the longest delay plus one frame, so the reference of the newest frame is kept.
    impl->history.assign(static_cast<std::size_t>(config.max_delay_ms) * kRateHz / 1000 + kFrame,
                         0);
    impl->reference.assign(kFrame, 0);
    if (!impl->init()) {
        log::error("echo canceller: cannot initialize {}", echo_mode_name(config.mode));
        return fail(EchoCancellerError::kEngineFailed);
    }
    return EchoCanceller(std::move(impl));
}

void EchoCanceller::analyze_render(std::span<const std::int16_t> frame) {
    PARLEY_DCHECK(frame.size() == kFrame);
    Impl& s = *impl_;
    if (is_speex(s.config.mode)) {
        const std::size_t cap = s.history.size();
        for (std::size_t i = 0; i < kFrame; ++i) {
            s.history[(s.render_written + i) % cap] = frame[i];
        }
        s.render_written += kFrame;
    } else if (is_webrtc(s.config.mode) && s.apm != nullptr) {
        s.apm_frame.UpdateFrame(0, 0, frame.data(), frame.size(), kRateHz,
                                webrtc::AudioFrame::kNormalSpeech, webrtc::AudioFrame::kVadUnknown,
                                1);
        // An error here only degrades cancellation of this frame; nothing to recover.
        (void)s.apm->AnalyzeReverseStream(&s.apm_frame);
    }
}

void EchoCanceller::process_capture(std::span<const std::int16_t> capture,
                                    std::span<std::int16_t> out) {
    PARLEY_DCHECK(capture.size() == kFrame && out.size() == kFrame);
    Impl& s = *impl_;
    if (is_speex(s.config.mode) && s.echo != nullptr) {
        s.fill_reference();
        // speex_echo_cancellation does not promise to read all of its input before writing its
        // output, and callers may process in place: give it its own copy.
        std::int16_t in[kFrame];
        std::copy(capture.begin(), capture.end(), in);
        speex_echo_cancellation(s.echo, in, s.reference.data(), out.data());
        std::copy(out.begin(), out.end(), s.linear.begin());
        if (s.preprocess != nullptr)
            speex_preprocess_run(s.preprocess, out.data());
        if (s.config.mode == EchoMode::kSpeexResidual)
            s.suppress_residual(std::span<const std::int16_t>(in, kFrame), out);
    } else if (is_webrtc(s.config.mode) && s.apm != nullptr) {
        s.apm_frame.UpdateFrame(0, 0, capture.data(), capture.size(), kRateHz,
                                webrtc::AudioFrame::kNormalSpeech, webrtc::AudioFrame::kVadUnknown,
                                1);
        // Must be set before every ProcessStream (else it reports kStreamParameterNotSetError).
        s.apm->set_stream_delay_ms(s.delay_ms);
        if (s.apm->ProcessStream(&s.apm_frame) == webrtc::AudioProcessing::kNoError) {
            std::copy(s.apm_frame.data_, s.apm_frame.data_ + kFrame, out.begin());
        } else {
            std::copy(capture.begin(), capture.end(), out.begin());
        }
    } else if (capture.data() != out.data()) {
        std::copy(capture.begin(), capture.end(), out.begin());
    }
}

std::span<const std::int16_t> EchoCanceller::linear_output() const {
    return is_speex(impl_->config.mode) && impl_->echo != nullptr
               ? std::span<const std::int16_t>(impl_->linear)
               : std::span<const std::int16_t>{};
}

void EchoCanceller::set_stream_delay_ms(int delay_ms) {
    impl_->delay_ms = std::clamp(delay_ms, 0, impl_->config.max_delay_ms);
}

int EchoCanceller::stream_delay_ms() const {
    return impl_->delay_ms;
}

EchoMode EchoCanceller::mode() const {
    return impl_->config.mode;
}

void EchoCanceller::reset() {
    if (!impl_->init())
        log::error("echo canceller: re-initialization of {} failed", echo_mode_name(mode()));
}

}  // namespace parley::dsp
