// SPDX-License-Identifier: Apache-2.0
#include "support/test_audio.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <random>

namespace parley::test {
namespace {

std::int16_t saturate(double v) {
    return static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
}

// Rescales a float signal to the requested RMS and converts with saturation.
Samples to_pcm_at_rms(const std::vector<double>& x, double target_rms) {
    double sum = 0.0;
    for (double v : x) sum += v * v;
    const double current = x.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(x.size()));
    const double gain = current > 0.0 ? target_rms / current : 0.0;
    Samples out(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = saturate(x[i] * gain);
    return out;
}

std::vector<double> frame_rms(std::span<const std::int16_t> x, std::size_t frame) {
    std::vector<double> out;
    for (std::size_t pos = 0; pos + frame <= x.size(); pos += frame) {
        out.push_back(rms(x.subspan(pos, frame)));
    }
    return out;
}

void put_le(std::ofstream& f, std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) f.put(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

double rms(std::span<const std::int16_t> x) {
    if (x.empty())
        return 0.0;
    double sum = 0.0;
    for (std::int16_t s : x) sum += static_cast<double>(s) * s;
    return std::sqrt(sum / static_cast<double>(x.size()));
}

double amplitude_db(double ratio) {
    return ratio > 0.0 ? 20.0 * std::log10(ratio) : -200.0;
}

double rms_dbfs(std::span<const std::int16_t> x) {
    return amplitude_db(rms(x) / 32768.0);
}

double active_rms(std::span<const std::int16_t> x, int rate_hz) {
    const auto frames = frame_rms(x, ms_to_samples(10, rate_hz));
    if (frames.empty())
        return rms(x);
    const double loudest = *std::max_element(frames.begin(), frames.end());
    const double floor = loudest * std::pow(10.0, -35.0 / 20.0);
    double sum = 0.0;
    std::size_t n = 0;
    for (double f : frames) {
        if (f >= floor && f > 0.0) {
            sum += f * f;
            ++n;
        }
    }
    return n == 0 ? 0.0 : std::sqrt(sum / static_cast<double>(n));
}

std::pair<std::size_t, std::size_t> active_range(std::span<const std::int16_t> x, int rate_hz,
                                                 double below_peak_db) {
    const std::size_t frame = ms_to_samples(10, rate_hz);
    const auto frames = frame_rms(x, frame);
    if (frames.empty())
        return {0, 0};
    const double loudest = *std::max_element(frames.begin(), frames.end());
    if (loudest <= 0.0)
        return {0, 0};
    const double floor = loudest * std::pow(10.0, -below_peak_db / 20.0);
    std::size_t first = frames.size();
    std::size_t last = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (frames[i] >= floor) {
            first = std::min(first, i);
            last = i;
        }
    }
    return {first * frame, (last + 1) * frame};
}

Samples silence(std::size_t samples) {
    return Samples(samples, 0);
}

Samples white_noise(std::size_t samples, double rms_value, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> dist(0.0, 1.0);
    std::vector<double> x(samples);
    for (double& v : x) v = dist(rng);
    return to_pcm_at_rms(x, rms_value);
}

Samples pink_noise(std::size_t samples, double rms_value, std::uint32_t seed) {
    // Voss-McCartney: row k is redrawn every 2^k samples; the sum of rows falls off at ~3 dB
    // per octave. A white term on top fills the top octave.
    constexpr int kRows = 16;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    std::array<double, kRows> rows{};
    for (double& r : rows) r = dist(rng);
    double sum = 0.0;
    for (double r : rows) sum += r;
    std::vector<double> x(samples);
    for (std::size_t i = 0; i < samples; ++i) {
        // The lowest set bit of i picks the row to redraw (row 0 on odd i, ...).
        const auto counter = static_cast<std::uint32_t>(i + 1);
        const int row = std::min(kRows - 1, std::countr_zero(counter));
        sum -= rows[static_cast<std::size_t>(row)];
        rows[static_cast<std::size_t>(row)] = dist(rng);
        sum += rows[static_cast<std::size_t>(row)];
        x[i] = sum + dist(rng);
    }
    // Remove the DC the slow rows leave over a short excerpt.
    double mean = 0.0;
    for (double v : x) mean += v;
    mean /= std::max<std::size_t>(1, samples);
    for (double& v : x) v -= mean;
    return to_pcm_at_rms(x, rms_value);
}

Samples music(std::size_t samples, int rate_hz, double rms_value, std::uint32_t seed) {
    std::mt19937 rng(seed);
    // Chord roots and shapes in semitones above A2 (110 Hz); major, minor and seventh chords.
    const std::vector<std::vector<int>> shapes = {
        {0, 4, 7}, {0, 3, 7}, {0, 4, 7, 10}, {0, 3, 7, 12}};
    std::uniform_int_distribution<int> root_dist(0, 14);
    std::uniform_int_distribution<std::size_t> shape_dist(0, shapes.size() - 1);
    std::uniform_real_distribution<double> length_dist(0.6, 1.4);
    std::uniform_real_distribution<double> phase_dist(0.0, 2.0 * std::numbers::pi);

    std::vector<double> x(samples, 0.0);
    const double fs = rate_hz;
    std::size_t start = 0;
    while (start < samples) {
        const auto length = static_cast<std::size_t>(length_dist(rng) * fs);
        // Each chord rings a little past the next one's start (release overlaps attack).
        const std::size_t release = static_cast<std::size_t>(0.15 * fs);
        const std::size_t end = std::min(samples, start + length + release);
        const int root = root_dist(rng);
        const auto& shape = shapes[shape_dist(rng)];
        for (int interval : shape) {
            const double f0 = 110.0 * std::pow(2.0, (root + interval) / 12.0);
            const double phase0 = phase_dist(rng);
            for (std::size_t i = start; i < end; ++i) {
                const double t = static_cast<double>(i - start) / fs;
                // Envelope: 40 ms attack, decay to a 60 % sustain over 300 ms, release at the end.
                double env = t < 0.04 ? t / 0.04 : 0.6 + 0.4 * std::exp(-(t - 0.04) / 0.3);
                const std::size_t from_end = end - i;
                if (from_end < release)
                    env *= static_cast<double>(from_end) / release;
                // 5 Hz vibrato of +-0.3 %: the phase of f (1 + d sin(2 pi 5 t)) integrated.
                const double vibrato_phase = -0.003 / (2.0 * std::numbers::pi * 5.0) *
                                             std::cos(2.0 * std::numbers::pi * 5.0 * t);
                double v = 0.0;
                for (int h = 1; h <= 6; ++h) {
                    if (f0 * h >= fs / 2.0)
                        break;
                    v += std::sin(2.0 * std::numbers::pi * f0 * h * t +
                                  2.0 * std::numbers::pi * f0 * h * vibrato_phase + phase0 * h) /
                         (h * h);
                }
                x[i] += env * v;
            }
        }
        start += length;
    }
    return to_pcm_at_rms(x, rms_value);
}

Samples sine(double freq_hz, std::size_t samples, int rate_hz, double amplitude) {
    Samples out(samples);
    for (std::size_t i = 0; i < samples; ++i) {
        out[i] = saturate(amplitude * std::sin(2.0 * std::numbers::pi * freq_hz *
                                               static_cast<double>(i) / rate_hz));
    }
    return out;
}

Samples pad(std::span<const std::int16_t> x, std::size_t before, std::size_t after) {
    Samples out(before, 0);
    out.insert(out.end(), x.begin(), x.end());
    out.insert(out.end(), after, 0);
    return out;
}

Samples concat(std::initializer_list<std::span<const std::int16_t>> pieces) {
    Samples out;
    for (auto piece : pieces) out.insert(out.end(), piece.begin(), piece.end());
    return out;
}

Samples add(std::span<const std::int16_t> a, std::span<const std::int16_t> b) {
    Samples out(std::max(a.size(), b.size()));
    for (std::size_t i = 0; i < out.size(); ++i) {
        const double va = i < a.size() ? a[i] : 0;
        const double vb = i < b.size() ? b[i] : 0;
        out[i] = saturate(va + vb);
    }
    return out;
}

Samples scale(std::span<const std::int16_t> x, double gain) {
    Samples out(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = saturate(x[i] * gain);
    return out;
}

Samples mix_at_snr(std::span<const std::int16_t> speech, std::span<const std::int16_t> noise,
                   double snr_db, int rate_hz) {
    const double noise_rms = rms(noise);
    if (noise.empty() || noise_rms <= 0.0) {
        std::fprintf(stderr, "mix_at_snr: the noise is silent\n");
        std::abort();
    }
    const double speech_rms = active_rms(speech, rate_hz);
    const double gain = speech_rms / std::pow(10.0, snr_db / 20.0) / noise_rms;
    Samples out(speech.size());
    for (std::size_t i = 0; i < speech.size(); ++i) {
        out[i] = saturate(speech[i] + gain * noise[i % noise.size()]);
    }
    return out;
}

bool write_wav(const std::string& path, std::span<const std::int16_t> x, int rate_hz,
               int channels) {
    std::ofstream f(path, std::ios::binary);
    if (!f)
        return false;
    const auto data_bytes = static_cast<std::uint32_t>(x.size() * 2);
    f.write("RIFF", 4);
    put_le(f, 36 + data_bytes, 4);
    f.write("WAVEfmt ", 8);
    put_le(f, 16, 4);  // fmt chunk size
    put_le(f, 1, 2);   // PCM
    put_le(f, static_cast<std::uint32_t>(channels), 2);
    put_le(f, static_cast<std::uint32_t>(rate_hz), 4);
    put_le(f, static_cast<std::uint32_t>(rate_hz * channels * 2), 4);  // byte rate
    put_le(f, static_cast<std::uint32_t>(channels * 2), 2);            // block align
    put_le(f, 16, 2);                                                  // bits per sample
    f.write("data", 4);
    put_le(f, data_bytes, 4);
    for (std::int16_t s : x) put_le(f, static_cast<std::uint16_t>(s), 2);
    return static_cast<bool>(f);
}

void dump_wav(const std::string& name, std::span<const std::int16_t> x, int rate_hz) {
    const char* dir = std::getenv("PARLEY_TEST_WAV_DIR");
    if (dir == nullptr || *dir == '\0')
        return;
    const std::string path = std::string(dir) + "/" + name + ".wav";
    if (!write_wav(path, x, rate_hz))
        std::fprintf(stderr, "dump_wav: cannot write %s\n", path.c_str());
}

}  // namespace parley::test
