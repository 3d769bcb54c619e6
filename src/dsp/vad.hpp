// SPDX-License-Identifier: Apache-2.0
// Vad: per-10-ms-frame speech / non-speech classifier for 16 kHz mono PCM16. It combines
// webrtc-audio-processing's GMM voice detector (with APM's high-pass filter in front) with three
// features of our own that the GMM detector lacks: level above a slowly tracked background
// (rejects stationary noise), voicing (rejects noise and chords) and spectral change over 100 ms
// (rejects sustained tones). Used on the dsp thread (client barge-in) and on work threads (server
// turn detection) through SpeechDetector. Not thread-safe; one owner.
// The only file that includes webrtc headers is vad.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "base/result.hpp"

namespace parley::dsp {

struct VadConfig {
    // Only 16000 is supported (the rate of the Live API input path).
    int sample_rate_hz = 16000;
    // Level of the 200-2000 Hz band above the background (the 20th percentile of the last 3 s)
    // a frame needs. 6 dB: stationary noise frames stay within ~3 dB of it; speech in 5 dB SNR
    // noise still clears it on most voiced syllables. The background needs history: in the
    // first ~100 ms of a stream nothing counts as speech.
    double min_level_above_background_db = 6.0;
    // Peak normalized autocorrelation (pitch 50-400 Hz, on a 1 kHz low-passed signal) a frame
    // needs. Voiced speech reaches 0.8-0.95; noise stays below 0.3; chords of 3-4 notes mostly
    // below 0.75.
    double min_voicing = 0.75;
    // Change of the spectral shape against 100 ms earlier (L1 distance of unit-sum magnitude
    // spectra, 0..2) a frame needs; sustained notes stay near 0.1.
    double min_spectral_change = 0.2;
    // Relative change of the pitch against 100 ms earlier a voiced frame needs: a held note keeps
    // its pitch to within its vibrato (well under 1 %), speech intonation glides.
    double min_pitch_drift = 0.01;
    // Let webrtc-audio-processing's own detector veto frames (its "likelihood" is the low one).
    bool use_webrtc_vad = true;
};

// What the detector measured on the last frame (for tuning and tests). Frames whose level is
// below the gate (min_level_above_background_db, long enough after the last frame above it) are
// not analysed further: `analysed` is false and the other features read 0.
struct VadFeatures {
    bool analysed = false;
    bool webrtc_voice = false;
    double level_above_background_db = 0.0;
    double voicing = 0.0;
    double spectral_change = 0.0;
    double pitch_drift = 0.0;
    bool is_speech = false;
};

class Vad {
public:
    // Errors: kInvalidRate (not 16000), kInvalidArgument (a threshold out of range),
    // kVadFailed (webrtc-audio-processing refused to initialize).
    [[nodiscard]] static Result<Vad> create(const VadConfig& config = {});

    Vad(Vad&&) noexcept;
    Vad& operator=(Vad&&) noexcept;
    Vad(const Vad&) = delete;
    Vad& operator=(const Vad&) = delete;
    ~Vad();

    // Classifies one 10 ms frame (precondition: exactly samples_per_frame(16000) = 160 samples).
    // Frames must be consecutive: the detector keeps history (background level, pitch, spectra).
    // Does not allocate. Cost: the band level alone (a few µs) on frames at background level;
    // the full analysis (about 11 µs in bench/vad_bench: APM, pitch, spectrum) while the level is
    // up and for 500 ms after, plus a catch-up of up to 150 ms of skipped frames when it restarts.
    [[nodiscard]] bool process(std::span<const std::int16_t> frame);

    [[nodiscard]] const VadFeatures& last_features() const;

    // Forgets all history (a new stream).
    void reset();

private:
    struct Impl;
    explicit Vad(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace parley::dsp
