// SPDX-License-Identifier: Apache-2.0
#include "dsp/vad.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numbers>
#include <utility>

#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

#include "base/check.hpp"
#include "base/log.hpp"
#include "dsp/error.hpp"
#include "dsp/frame.hpp"

// Why not webrtc's detector alone: measured on flite speech (tests/unit/dsp/vad_test.cpp), APM
// 0.3's GMM detector marks 98-100 % of frames as voice in white or pink noise at 5 dB SNR and in
// low-level music at every likelihood setting; with its noise suppression in front it still
// fires on 40-55 % of pink-noise and music frames. So it only vetoes, and three features decide.
// Without the noise suppressor: the suppressor was half the cost of a frame of speech (20 -> 11
// µs in bench/vad_bench) and changed no decision the speech-detector scenarios
// (tests/unit/dsp/speech_detector_test.cpp) measure, beyond 0.2 % of recall in pink noise.

namespace parley::dsp {
namespace {

constexpr int kRateHz = 16000;
constexpr std::size_t kFrame = samples_per_frame(kRateHz);  // 160

// Background: 40th percentile of the band level over the last 3 s. A percentile (not the
// minimum) so the dips of music or of noise bursts do not pull it down; the 40th so pauses in
// continuous speech (usually well over 40 % of the time) keep it at the noise level.
constexpr std::size_t kBackgroundFrames = 300;
constexpr double kBandLoHz = 200;
constexpr double kBandHiHz = 2000;
constexpr double kBackgroundPercentile = 0.2;

// Pitch analysis at 8 kHz after a 1 kHz low-pass: lags 20..160 = 400..50 Hz over 25 ms.
constexpr std::size_t kPitchWindow = 200;
constexpr std::size_t kPitchMinLag = 20;
constexpr std::size_t kPitchMaxLag = 160;
constexpr std::size_t kPitchHistory = kPitchWindow + kPitchMaxLag;
constexpr std::size_t kPitchLags = kPitchMaxLag - kPitchMinLag + 1;
constexpr std::size_t kPitchNew = samples_per_frame(kRateHz) / 2;  // 8 kHz samples per frame
// The correlation of the window with each lag is summed over blocks of the window. The window
// slides by whole blocks each frame, so only the newest blocks' sums are computed; the rest
// were computed by the frames before (40 % of the products of a full sum).
constexpr std::size_t kPitchBlock = 40;
constexpr std::size_t kPitchBlocks = kPitchWindow / kPitchBlock;
constexpr std::size_t kPitchNewBlocks = kPitchNew / kPitchBlock;
static_assert(kPitchWindow % kPitchBlock == 0 && kPitchNew % kPitchBlock == 0 &&
              kPitchNewBlocks <= kPitchBlocks);
// The correlation is summed in single precision, in SIMD vectors of lags (GCC's vector extension,
// which Clang shares: SSE2 on x86-64, NEON on arm64), four vectors (kLagGroup lags) at a time.
// The lags are padded to whole groups; the padding reads the zeros after the newest sample and
// is never looked at. Against four double-precision chains per lag: 10.4 -> 9.6 µs per speech
// frame (bench/vad_bench), the same decisions in every PARLEY_VAD_REPORT scenario.
using Floats = float __attribute__((vector_size(16)));
constexpr std::size_t kFloats = sizeof(Floats) / sizeof(float);
constexpr std::size_t kLagGroup = 4 * kFloats;
constexpr std::size_t kPitchLagsPadded = (kPitchLags + kLagGroup - 1) / kLagGroup * kLagGroup;
constexpr std::size_t kPitchHistoryPadded = kPitchHistory + kPitchLagsPadded - kPitchLags;
inline Floats load_floats(const float* p) {
    Floats v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}

// Spectral shape: 512-point FFT (32 ms) every 10 ms, bins 7..128 (220 Hz-4 kHz), compared with
// the shape 10 frames (100 ms) earlier: a phoneme changes within 100 ms, a held note does not.
constexpr std::size_t kFft = 512;
constexpr std::size_t kBinLo = 7;
constexpr std::size_t kBinHi = 128;
constexpr std::size_t kBins = kBinHi - kBinLo + 1;
constexpr std::size_t kChangeLagFrames = 10;

// The level gate. A frame whose band level is less than min_level_above_background_db above the
// background cannot be speech whatever its other features say, so below the gate only the band
// level is measured (about 3 % of the full analysis). The full analysis (APM, pitch, spectrum)
// stays on while any frame in the last kHoldFrames cleared the gate, and when it starts again the
// frames since it stopped (up to kReplayFrames, enough for the 100 ms look-back of pitch drift
// and spectral change plus the spectrum's smoothing) are analysed first, so its history is what
// it would have been had it never stopped. After longer quiet the history older than that is
// stale; the look-back features only need the last kReplayFrames.
constexpr std::size_t kReplayFrames = kChangeLagFrames + 6;
constexpr std::size_t kHoldFrames = 50;

struct Biquad {
    double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
    double z1 = 0, z2 = 0;

    double step(double x) {
        const double y = b0 * x + z1;
        z1 = b1 * x - a1 * y + z2;
        z2 = b2 * x - a2 * y;
        return y;
    }
    void clear() { z1 = z2 = 0; }

    // RBJ cookbook Butterworth sections (Q = 1/sqrt 2).
    static Biquad high_pass(double fc_hz) {
        const double w = 2 * std::numbers::pi * fc_hz / kRateHz;
        const double c = std::cos(w);
        const double alpha = std::sin(w) / std::numbers::sqrt2;
        const double a0 = 1 + alpha;
        return {(1 + c) / 2 / a0, -(1 + c) / a0, (1 + c) / 2 / a0, -2 * c / a0, (1 - alpha) / a0};
    }
    static Biquad low_pass(double fc_hz) {
        const double w = 2 * std::numbers::pi * fc_hz / kRateHz;
        const double c = std::cos(w);
        const double alpha = std::sin(w) / std::numbers::sqrt2;
        const double a0 = 1 + alpha;
        return {(1 - c) / 2 / a0, (1 - c) / a0, (1 - c) / 2 / a0, -2 * c / a0, (1 - alpha) / a0};
    }
};

// Power spectrum of kFft real samples, bins kBinLo..kBinHi only: a kFft/2-point complex FFT of
// the samples packed in pairs (even real, odd imaginary), then the split that separates the
// two halves' spectra. Half the work of a kFft-point complex FFT; no allocation per call. Real
// and imaginary parts live in separate arrays: std::complex's packing into vector registers
// stalls on store forwarding at every butterfly, and its operator* calls __muldc3 (NaN
// recovery) unless -ffast-math. The tables are shared by every Vad and the work arrays live on
// the stack: a server runs a Vad per session, and what each one keeps is fetched from memory
// at every frame.
class RealFft {
public:
    static constexpr std::size_t kHalf = kFft / 2;

    static const RealFft& instance() {
        static const RealFft fft;
        return fft;
    }

    // `x` times the Hann window, transformed; power[k - kBinLo] = |X[k]|^2.
    void power_spectrum(const std::array<std::int16_t, kFft>& x,
                        std::array<double, kBins>& power) const {
        std::array<double, kHalf> re;
        std::array<double, kHalf> im;
        for (std::size_t i = 0; i < kHalf; ++i) {
            re[reversed_[i]] = x[2 * i] * window_[2 * i];
            im[reversed_[i]] = x[2 * i + 1] * window_[2 * i + 1];
        }
        for (std::size_t len = 2; len <= kHalf; len <<= 1) {
            const std::size_t half = len / 2;
            // A kHalf-point twiddle of index m is the kFft-point one of index 2m.
            const std::size_t step = 2 * kHalf / len;
            for (std::size_t i = 0; i < kHalf; i += len) {
                for (std::size_t k = 0; k < half; ++k) {
                    const double wr = cos_[k * step];
                    const double wi = sin_[k * step];
                    const std::size_t a = i + k;
                    const std::size_t b = a + half;
                    const double vr = re[b] * wr - im[b] * wi;
                    const double vi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - vr;
                    im[b] = im[a] - vi;
                    re[a] += vr;
                    im[a] += vi;
                }
            }
        }
        for (std::size_t k = kBinLo; k <= kBinHi; ++k) {
            const std::size_t j = (kHalf - k) % kHalf;
            const std::size_t i = k % kHalf;
            // Z[k] = E[k] + i O[k] with E, O the spectra of the even and odd samples, and
            // conj(Z[kHalf - k]) = E[k] - i O[k]; X[k] = E[k] + w^k O[k].
            const double even_r = 0.5 * (re[i] + re[j]);
            const double even_i = 0.5 * (im[i] - im[j]);
            const double odd_r = 0.5 * (im[i] + im[j]);
            const double odd_i = -0.5 * (re[i] - re[j]);
            const double xr = even_r + odd_r * cos_[k] - odd_i * sin_[k];
            const double xi = even_i + odd_r * sin_[k] + odd_i * cos_[k];
            power[k - kBinLo] = xr * xr + xi * xi;
        }
    }

private:
    RealFft() {
        for (std::size_t i = 0; i < kHalf; ++i) {
            const double a = -2 * std::numbers::pi * static_cast<double>(i) / kFft;
            cos_[i] = std::cos(a);
            sin_[i] = std::sin(a);
        }
        for (std::size_t i = 0; i < kHalf; ++i) {
            std::size_t r = 0;
            for (std::size_t bit = 1, rbit = kHalf >> 1; bit < kHalf; bit <<= 1, rbit >>= 1) {
                if ((i & bit) != 0)
                    r |= rbit;
            }
            reversed_[i] = r;
        }
        for (std::size_t i = 0; i < kFft; ++i) {
            window_[i] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(i) / kFft);
        }
    }

    std::array<double, kHalf> cos_{};
    std::array<double, kHalf> sin_{};
    std::array<std::size_t, kHalf> reversed_{};
    std::array<double, kFft> window_{};
};

}  // namespace

struct Vad::Impl {
    VadConfig config;
    std::unique_ptr<webrtc::AudioProcessing> apm;
    webrtc::AudioFrame apm_frame;
    VadFeatures features;

    // Band level and background.
    std::array<Biquad, 4> band{};
    std::array<double, kBackgroundFrames> level_history{};  // ring, oldest at level_next
    std::array<double, kBackgroundFrames> level_sorted{};   // the same values, ascending
    std::size_t level_count = 0;
    std::size_t level_next = 0;

    // Pitch.
    std::array<Biquad, 2> pitch_lp{};
    std::array<float, kPitchHistoryPadded> pitch_history{};  // oldest first; zeros after
    // block_sums[(block_first + b) % kPitchBlocks][lag - kPitchMinLag]: the correlation over
    // the window's block b, for the history as it is now.
    std::array<std::array<float, kPitchLagsPadded>, kPitchBlocks> block_sums{};
    std::size_t block_first = 0;
    std::size_t pitch_filled = 0;
    double pitch_lag = 0.0;
    std::array<double, kChangeLagFrames> lag_history{};
    std::size_t lag_next = 0;

    // Spectrum.
    std::array<std::int16_t, kFft> samples{};
    std::array<double, kBins> smoothed_power{};
    std::array<std::array<double, kBins>, kChangeLagFrames + 1> shapes{};
    std::array<bool, kChangeLagFrames + 1> shape_valid{};
    std::size_t shape_next = 0;

    // Level gate: the last kReplayFrames frames (ring), and how many frames in a row skipped
    // the full analysis.
    std::array<std::array<std::int16_t, kFrame>, kReplayFrames> recent{};
    std::size_t recent_next = 0;
    std::size_t skipped_run = 0;
    std::size_t hold_left = 0;  // frames the full analysis stays on; 0 = gated

    void clear_history() {
        band = {Biquad::high_pass(kBandLoHz), Biquad::high_pass(kBandLoHz),
                Biquad::low_pass(kBandHiHz), Biquad::low_pass(kBandHiHz)};
        pitch_lp = {Biquad::low_pass(1000), Biquad::low_pass(1000)};
        level_count = level_next = 0;
        pitch_history.fill(0);
        for (auto& sums : block_sums) sums.fill(0);
        block_first = 0;
        pitch_filled = 0;
        pitch_lag = 0.0;
        lag_history.fill(0.0);
        lag_next = 0;
        samples.fill(0);
        smoothed_power.fill(0);
        shape_valid.fill(false);
        shape_next = 0;
        recent_next = 0;
        skipped_run = 0;
        hold_left = 0;
        features = {};
    }

    [[nodiscard]] bool init_apm() {
        using webrtc::AudioProcessing;
        if (apm->Initialize(kRateHz, kRateHz, kRateHz, AudioProcessing::kMono,
                            AudioProcessing::kMono, AudioProcessing::kMono) != 0) {
            return false;
        }
        return apm->high_pass_filter()->Enable(true) == 0 &&
               apm->voice_detection()->set_likelihood(webrtc::VoiceDetection::kLowLikelihood) ==
                   0 &&
               apm->voice_detection()->set_frame_size_ms(kFrameMs) == 0 &&
               apm->voice_detection()->Enable(true) == 0;
    }

    double band_level_db(std::span<const std::int16_t> frame) {
        double sum = 0.0;
        for (std::int16_t s : frame) {
            double y = s;
            for (Biquad& b : band) y = b.step(y);
            sum += y * y;
        }
        // +1e-3 keeps digital silence finite (-30 dB) instead of -inf.
        return 10.0 * std::log10(sum / static_cast<double>(frame.size()) + 1e-3);
    }

    double background_db(double level_db) {
        // The sorted copy is kept up to date by one removal and one insertion per frame.
        auto sorted_end = level_sorted.begin() + static_cast<long>(level_count);
        if (level_count == kBackgroundFrames) {
            const double oldest = level_history[level_next];
            auto at = std::lower_bound(level_sorted.begin(), sorted_end, oldest);
            std::copy(at + 1, sorted_end, at);
            --sorted_end;
        } else {
            ++level_count;
        }
        auto at = std::upper_bound(level_sorted.begin(), sorted_end, level_db);
        std::copy_backward(at, sorted_end, sorted_end + 1);
        *at = level_db;
        level_history[level_next] = level_db;
        level_next = (level_next + 1) % kBackgroundFrames;
        const auto k =
            static_cast<std::size_t>(kBackgroundPercentile * static_cast<double>(level_count - 1));
        return level_sorted[k];
    }

    double voicing(std::span<const std::int16_t> frame) {
        // Low-pass and decimate to 8 kHz, appending to the history (oldest first).
        constexpr std::size_t kNew = kPitchNew;
        std::memmove(pitch_history.data(), pitch_history.data() + kNew,
                     (kPitchHistory - kNew) * sizeof(pitch_history[0]));
        for (std::size_t i = 0; i < kFrame; ++i) {
            double y = frame[i];
            for (Biquad& b : pitch_lp) y = b.step(y);
            if (i % 2 == 1)
                pitch_history[kPitchHistory - kNew + i / 2] = static_cast<float>(y);
        }
        const float* x = pitch_history.data();
        // The oldest blocks left the window; the newest are summed now, for every lag.
        block_first = (block_first + kPitchNewBlocks) % kPitchBlocks;
        for (std::size_t b = kPitchBlocks - kPitchNewBlocks; b < kPitchBlocks; ++b) {
            const float* xb = x + b * kPitchBlock;
            auto& sums = block_sums[(block_first + b) % kPitchBlocks];
            // kLagGroup lags at a time, their sums held in registers over the whole block.
            for (std::size_t k = 0; k < kPitchLagsPadded; k += kLagGroup) {
                Floats a0{}, a1{}, a2{}, a3{};
                for (std::size_t i = 0; i < kPitchBlock; ++i) {
                    const Floats xi = Floats{} + xb[i];
                    const float* y = xb + i + kPitchMinLag + k;
                    a0 += xi * load_floats(y);
                    a1 += xi * load_floats(y + kFloats);
                    a2 += xi * load_floats(y + 2 * kFloats);
                    a3 += xi * load_floats(y + 3 * kFloats);
                }
                const std::array<Floats, 4> group{a0, a1, a2, a3};
                std::memcpy(&sums[k], group.data(), sizeof(group));
            }
        }
        pitch_filled = std::min(pitch_filled + kNew, kPitchHistory);
        if (pitch_filled < kPitchHistory)
            return 0.0;
        double best = 0.0;
        std::size_t best_lag = 0;
        std::array<double, kPitchMaxLag + 2> r{};
        const auto square = [](float v) { return static_cast<double>(v) * v; };
        double e0 = 0.0;
        for (std::size_t i = 0; i < kPitchWindow; ++i) e0 += square(x[i]);
        double e1 = 0.0;
        for (std::size_t i = kPitchMinLag; i < kPitchMinLag + kPitchWindow; ++i) e1 += square(x[i]);
        for (std::size_t lag = kPitchMinLag; lag <= kPitchMaxLag; ++lag) {
            double c = 0.0;
            for (std::size_t b = 0; b < kPitchBlocks; ++b)
                c += block_sums[(block_first + b) % kPitchBlocks][lag - kPitchMinLag];
            const double denom = std::sqrt(e0 * e1);
            r[lag] = denom > 1.0 ? c / denom : 0.0;
            if (r[lag] > best) {
                best = r[lag];
                best_lag = lag;
            }
            // Slide the energy of the lagged window by one sample.
            if (lag < kPitchMaxLag)
                e1 += square(x[lag + kPitchWindow]) - square(x[lag]);
        }
        // Sub-sample lag by a parabola through the peak and its neighbours.
        double lag = static_cast<double>(best_lag);
        if (best_lag > kPitchMinLag && best_lag < kPitchMaxLag) {
            const double a = r[best_lag - 1], b = r[best_lag], c = r[best_lag + 1];
            const double denom = a - 2 * b + c;
            if (denom < 0.0)
                lag += 0.5 * (a - c) / denom;
        }
        pitch_lag = lag;
        return best;
    }

    // Relative pitch change against 100 ms earlier; 1 when either frame was not voiced.
    double pitch_drift(bool voiced) {
        const double now = voiced ? pitch_lag : 0.0;
        const double before = lag_history[lag_next];
        lag_history[lag_next] = now;
        lag_next = (lag_next + 1) % lag_history.size();
        if (now <= 0.0 || before <= 0.0)
            return 1.0;
        // Octave jumps of the estimate are not a held note either.
        return std::abs(now - before) / now;
    }

    double spectral_change(std::span<const std::int16_t> frame) {
        std::memmove(samples.data(), samples.data() + kFrame, (kFft - kFrame) * sizeof(samples[0]));
        std::copy(frame.begin(), frame.end(), samples.end() - kFrame);
        std::array<double, kBins> power;
        RealFft::instance().power_spectrum(samples, power);
        auto& shape = shapes[shape_next];
        double sum = 0.0;
        for (std::size_t k = 0; k < kBins; ++k) {
            smoothed_power[k] = 0.5 * smoothed_power[k] + 0.5 * power[k];
            shape[k] = std::sqrt(smoothed_power[k]);
            sum += shape[k];
        }
        // Below ~-90 dBFS per bin there is no shape to speak of.
        shape_valid[shape_next] = sum > static_cast<double>(kBins);
        if (shape_valid[shape_next]) {
            for (double& v : shape) v /= sum;
        }
        const std::size_t old = (shape_next + 1) % (kChangeLagFrames + 1);
        double change = 0.0;
        if (shape_valid[shape_next] && shape_valid[old]) {
            for (std::size_t k = 0; k < kBins; ++k) change += std::abs(shape[k] - shapes[old][k]);
        }
        shape_next = old;
        return change;
    }

    // The expensive features of one frame; updates their history.
    void analyse(std::span<const std::int16_t> frame, VadFeatures& f) {
        if (config.use_webrtc_vad) {
            apm_frame.UpdateFrame(0, 0, frame.data(), frame.size(), kRateHz,
                                  webrtc::AudioFrame::kNormalSpeech,
                                  webrtc::AudioFrame::kVadUnknown, 1);
            f.webrtc_voice = apm->ProcessStream(&apm_frame) == webrtc::AudioProcessing::kNoError &&
                             apm->voice_detection()->stream_has_voice();
        } else {
            f.webrtc_voice = true;
        }
        f.voicing = voicing(frame);
        f.pitch_drift = pitch_drift(f.voicing >= config.min_voicing);
        f.spectral_change = spectral_change(frame);
    }

    // Analyses the frames skipped since the full analysis stopped (at most kReplayFrames, oldest
    // first), not counting the newest frame in `recent`, which the caller analyses.
    void replay_skipped() {
        const std::size_t n = std::min(skipped_run, kReplayFrames - 1);
        VadFeatures scratch;
        for (std::size_t age = n; age >= 1; --age) {
            // recent_next - 1 is the newest frame; age frames before it.
            const std::size_t index = (recent_next + 2 * kReplayFrames - 1 - age) % kReplayFrames;
            analyse(recent[index], scratch);
        }
        skipped_run = 0;
    }
};

Vad::Vad(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Vad::Vad(Vad&&) noexcept = default;
Vad& Vad::operator=(Vad&&) noexcept = default;
Vad::~Vad() = default;

Result<Vad> Vad::create(const VadConfig& config) {
    if (config.sample_rate_hz != kRateHz)
        return fail(DspError::kInvalidRate);
    if (!(config.min_voicing >= 0.0 && config.min_voicing <= 1.0) ||
        !(config.min_spectral_change >= 0.0 && config.min_spectral_change <= 2.0) ||
        !(config.min_level_above_background_db >= 0.0 &&
          config.min_level_above_background_db <= 60.0)) {
        return fail(DspError::kInvalidArgument);
    }
    (void)RealFft::instance();  // built here, not by the first frame on a dsp thread
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->apm.reset(webrtc::AudioProcessing::Create());
    if (impl->apm == nullptr || !impl->init_apm()) {
        log::error("webrtc-audio-processing: cannot set up voice detection at 16 kHz");
        return fail(DspError::kVadFailed);
    }
    impl->clear_history();
    return Vad(std::move(impl));
}

bool Vad::process(std::span<const std::int16_t> frame) {
    PARLEY_DCHECK(frame.size() == kFrame);
    Impl& s = *impl_;
    VadFeatures& f = s.features;

    std::copy(frame.begin(), frame.end(), s.recent[s.recent_next].begin());
    s.recent_next = (s.recent_next + 1) % kReplayFrames;

    const double level_db = s.band_level_db(frame);
    f.level_above_background_db = level_db - s.background_db(level_db);
    const bool loud = f.level_above_background_db >= s.config.min_level_above_background_db;
    if (loud) {
        if (s.hold_left == 0)
            s.replay_skipped();
        s.hold_left = kHoldFrames;
    } else if (s.hold_left > 0) {
        --s.hold_left;
    }
    if (!loud && s.hold_left == 0) {
        // Gated: cannot be speech; the expensive features are not measured.
        ++s.skipped_run;
        f.analysed = false;
        f.webrtc_voice = false;
        f.voicing = 0.0;
        f.pitch_drift = 0.0;
        f.spectral_change = 0.0;
        f.is_speech = false;
        return false;
    }
    f.analysed = true;
    s.analyse(frame, f);
    f.is_speech = loud && f.webrtc_voice && f.voicing >= s.config.min_voicing &&
                  f.pitch_drift >= s.config.min_pitch_drift &&
                  f.spectral_change >= s.config.min_spectral_change;
    return f.is_speech;
}

const VadFeatures& Vad::last_features() const {
    return impl_->features;
}

void Vad::reset() {
    if (!impl_->init_apm())
        log::error("webrtc-audio-processing: re-initialization failed");
    impl_->clear_history();
}

}  // namespace parley::dsp
