// SPDX-License-Identifier: Apache-2.0
// Test-audio support shared by every layer's tests: synthetic signals (white and pink noise,
// low-level "music"), mixing at a given SNR, silence padding, level helpers and a debug WAV
// writer. Deterministic (seeded) so tests are repeatable. Test code only; any thread.
// Speech comes from flite_speech.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace parley::test {

using Samples = std::vector<std::int16_t>;

[[nodiscard]] constexpr std::size_t ms_to_samples(double ms, int rate_hz) {
    return static_cast<std::size_t>(ms * rate_hz / 1000.0 + 0.5);
}
[[nodiscard]] constexpr double samples_to_ms(double samples, int rate_hz) {
    return samples * 1000.0 / rate_hz;
}

// --- levels -------------------------------------------------------------------------------
// Root mean square in sample units (0 for an empty span).
[[nodiscard]] double rms(std::span<const std::int16_t> x);
// Level in dB relative to full scale (32768); -200 for digital silence.
[[nodiscard]] double rms_dbfs(std::span<const std::int16_t> x);
// 20 log10(amplitude ratio); -200 when the ratio is 0.
[[nodiscard]] double amplitude_db(double ratio);
// RMS over the "active" part only: the 10 ms frames within 35 dB of the loudest frame. This is a
// simple stand-in for ITU-T P.56 active speech level, so the SNR of speech with pauses and
// padding does not depend on how much silence surrounds it.
[[nodiscard]] double active_rms(std::span<const std::int16_t> x, int rate_hz);
// [first, last) sample of the region whose 10 ms frames are within `below_peak_db` of the loudest
// frame: the true onset/end of clean speech. {0, 0} for silence.
[[nodiscard]] std::pair<std::size_t, std::size_t> active_range(std::span<const std::int16_t> x,
                                                               int rate_hz,
                                                               double below_peak_db = 40.0);

// --- generators ---------------------------------------------------------------------------
[[nodiscard]] Samples silence(std::size_t samples);
// Gaussian white noise with the given RMS (sample units), seeded.
[[nodiscard]] Samples white_noise(std::size_t samples, double rms, std::uint32_t seed = 1);
// Pink (1/f) noise with the given RMS, seeded (Voss-McCartney with 16 rows).
[[nodiscard]] Samples pink_noise(std::size_t samples, double rms, std::uint32_t seed = 1);
// Low-level "music": chords of 3-4 sustained harmonic notes (fundamentals 110-880 Hz, 6
// harmonics each, light vibrato) that change every 0.6-1.4 s, each with an attack/decay/release
// envelope, scaled to the given RMS. Seeded.
[[nodiscard]] Samples music(std::size_t samples, int rate_hz, double rms, std::uint32_t seed = 1);
// A sine tone with the given peak amplitude.
[[nodiscard]] Samples sine(double freq_hz, std::size_t samples, int rate_hz, double amplitude);

// --- editing ------------------------------------------------------------------------------
// `x` with `before` zeros in front and `after` zeros behind.
[[nodiscard]] Samples pad(std::span<const std::int16_t> x, std::size_t before, std::size_t after);
// Concatenation of the pieces in order.
[[nodiscard]] Samples concat(std::initializer_list<std::span<const std::int16_t>> pieces);
// Sum with saturation; the result has the length of the longer input.
[[nodiscard]] Samples add(std::span<const std::int16_t> a, std::span<const std::int16_t> b);
// x * gain with saturation.
[[nodiscard]] Samples scale(std::span<const std::int16_t> x, double gain);
// speech + noise, with the noise (looped or cut to the speech's length) scaled so that
// active_rms(speech) / rms(noise) is snr_db. Saturates. Precondition: noise not all zero.
[[nodiscard]] Samples mix_at_snr(std::span<const std::int16_t> speech,
                                 std::span<const std::int16_t> noise, double snr_db,
                                 int rate_hz = 16000);

// --- debugging ----------------------------------------------------------------------------
// Writes a mono PCM16 WAV file; false on I/O failure. No libsndfile: tests of the dsp WAV code
// can use it as an independent reference.
[[nodiscard]] bool write_wav(const std::string& path, std::span<const std::int16_t> x, int rate_hz,
                             int channels = 1);
// When the environment variable PARLEY_TEST_WAV_DIR is set, writes `<dir>/<name>.wav` so a
// failing audio test can be listened to; otherwise does nothing.
void dump_wav(const std::string& name, std::span<const std::int16_t> x, int rate_hz);

}  // namespace parley::test
