// SPDX-License-Identifier: Apache-2.0
#include "support/room.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <random>

namespace parley::test {
namespace {

using Complex = std::complex<double>;

// In-place iterative radix-2 FFT (size a power of two); inverse without the 1/n scaling.
void fft(std::vector<Complex>& a, bool inverse) {
    const std::size_t n = a.size();
    for (std::size_t i = 1, j = 0; i < n; ++i) {
        std::size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j)
            std::swap(a[i], a[j]);
    }
    for (std::size_t len = 2; len <= n; len <<= 1) {
        const double angle = 2.0 * std::numbers::pi / static_cast<double>(len) * (inverse ? 1 : -1);
        const Complex step(std::cos(angle), std::sin(angle));
        for (std::size_t i = 0; i < n; i += len) {
            Complex w(1.0, 0.0);
            for (std::size_t k = 0; k < len / 2; ++k) {
                const Complex u = a[i + k];
                const Complex v = a[i + k + len / 2] * w;
                a[i + k] = u + v;
                a[i + k + len / 2] = u - v;
                w *= step;
            }
        }
    }
}

// Linear convolution of x with h by overlap-add, cut to x's length.
std::vector<double> convolve(const std::vector<double>& x, const std::vector<double>& h) {
    std::size_t n = 1;
    while (n < 2 * h.size()) n <<= 1;
    const std::size_t block = n - h.size() + 1;
    std::vector<Complex> hf(n);
    std::copy(h.begin(), h.end(), hf.begin());
    fft(hf, false);
    std::vector<double> y(x.size(), 0.0);
    std::vector<Complex> buf(n);
    for (std::size_t pos = 0; pos < x.size(); pos += block) {
        std::fill(buf.begin(), buf.end(), Complex{});
        const std::size_t len = std::min(block, x.size() - pos);
        for (std::size_t i = 0; i < len; ++i) buf[i] = x[pos + i];
        fft(buf, false);
        for (std::size_t i = 0; i < n; ++i) buf[i] *= hf[i];
        fft(buf, true);
        for (std::size_t i = 0; i < n && pos + i < y.size(); ++i) {
            y[pos + i] += buf[i].real() / static_cast<double>(n);
        }
    }
    return y;
}

std::int16_t saturate(double v) {
    return static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
}

}  // namespace

Room::Room(const RoomConfig& config) : config_(config) {
    const double rate = config.sample_rate_hz;
    delay_samples_ = static_cast<std::size_t>(std::max(0.0, config.delay_ms) * rate / 1000.0);
    std::mt19937 rng(config.seed);
    std::normal_distribution<double> gauss(0.0, 1.0);
    std::uniform_real_distribution<double> uni(0.0, 1.0);

    // The tail is kept down to -60 dB (one RT60 long).
    const auto length = static_cast<std::size_t>(std::max(1.0, config.rt60_ms * rate / 1000.0));
    ir_.assign(length, 0.0);
    ir_[0] = 1.0;  // direct path
    // Early reflections: 6 taps 2-25 ms after the direct path, 0.2-0.6 of it, random sign.
    for (int i = 0; i < 6; ++i) {
        const auto tap = static_cast<std::size_t>((2.0 + 23.0 * uni(rng)) * rate / 1000.0);
        if (tap < length)
            ir_[tap] += (uni(rng) < 0.5 ? -1.0 : 1.0) * (0.2 + 0.4 * uni(rng));
    }
    // Diffuse tail from 5 ms: Gaussian noise under an envelope falling 60 dB per RT60
    // (amplitude exp(-6.91 t / RT60)), lightly low-passed (walls absorb highs).
    const auto tail_start = static_cast<std::size_t>(5.0 * rate / 1000.0);
    const double decay = 6.9078 / std::max(1.0, config.rt60_ms * rate / 1000.0);
    double lp = 0.0;
    for (std::size_t i = tail_start; i < length; ++i) {
        lp = 0.6 * lp + 0.4 * gauss(rng);
        ir_[i] += 0.25 * lp * std::exp(-decay * static_cast<double>(i - tail_start));
    }
    double energy = 0.0;
    for (double v : ir_) energy += v * v;
    const double norm = 1.0 / std::sqrt(energy);
    for (double& v : ir_) v *= norm;
}

Samples Room::echo(std::span<const std::int16_t> far_end) const {
    // Loudspeaker, then bulk delay.
    const double k = config_.loudspeaker_drive;
    std::vector<double> x(far_end.size(), 0.0);
    for (std::size_t i = 0; i + delay_samples_ < far_end.size(); ++i) {
        const double v = far_end[i] / 32768.0;
        x[i + delay_samples_] = (k > 0.0 ? std::tanh(k * v) / k : v) * 32768.0;
    }
    const double gain = std::pow(10.0, config_.echo_gain_db / 20.0);
    const std::vector<double> y = convolve(x, ir_);
    Samples out(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) out[i] = saturate(y[i] * gain);
    return out;
}

Samples Room::capture(std::span<const std::int16_t> far_end,
                      std::span<const std::int16_t> near_end) const {
    Samples mic = add(echo(far_end), near_end);
    if (config_.mic_noise_dbfs > -199.0) {
        const double noise_rms = 32768.0 * std::pow(10.0, config_.mic_noise_dbfs / 20.0);
        mic = add(mic, white_noise(mic.size(), noise_rms, config_.seed + 1000));
    }
    return mic;
}

}  // namespace parley::test
