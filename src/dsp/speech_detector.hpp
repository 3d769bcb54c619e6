// SPDX-License-Identifier: Apache-2.0
// SpeechDetector: turns per-10-ms-frame speech decisions (from Vad, or any classifier) into speech
// START and END events with sample positions, and keeps the recent audio so the onset (plus
// prefix padding) can be handed to a recognizer. Used by the server's turn detection (work
// threads) and the client's local barge-in (dsp thread). Not thread-safe; one owner. Allocates
// only in create().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/result.hpp"

namespace parley::dsp {

// The Live API's startOfSpeechSensitivity / endOfSpeechSensitivity; kDefault when unspecified.
enum class Sensitivity { kLow, kDefault, kHigh };

// Defaults were measured with Vad on flite speech (slt, rms, awb) with natural pauses, clean and
// mixed with white/pink noise at 15 and 5 dB SNR and with music 10 dB below the speech
// (tests/unit/dsp/speech_detector_test.cpp prints the numbers with PARLEY_VAD_REPORT=1):
// - START: of the first 30 frames (300 ms) of speech, Vad marks 16-26 in clean audio and 15 dB
//   noise, 15-23 in 5 dB noise and 14-24 with music; noise alone gives none and music alone at
//   most 8 of any 30. kDefault commits after 10 speech frames within the last 300 ms (latency
//   100-180 ms after the first speech frame); kHigh after 6 (sooner, but music alone can reach
//   that); kLow after 15 within 400 ms.
// - END: the longest run of non-speech frames inside one utterance was 510 ms clean (a comma
//   pause) and 630 ms in 5 dB noise, so silence_duration_ms defaults to 800 ms; kHigh ends after
//   0.75 of it (600 ms: can split an utterance at a comma in noise), kLow after 1.5 times it.
// - prefix_padding_ms 300: the onset found is 30-160 ms after the true onset (unvoiced first
//   sounds are not marked), so 300 ms hands the recognizer the whole first word.
struct SpeechDetectorConfig {
    int sample_rate_hz = 16000;
    Sensitivity start_sensitivity = Sensitivity::kDefault;
    Sensitivity end_sensitivity = Sensitivity::kDefault;
    // Audio kept from before the detected onset, handed on with START. Range [0, 2000].
    int prefix_padding_ms = 300;
    // Non-speech time after which speech is declared ended. Range [100, 10000].
    int silence_duration_ms = 800;
};

enum class SpeechEventType { kNone, kStart, kEnd };

// Positions count samples since create() or reset(), at the detector's sample rate.
struct SpeechEvent {
    SpeechEventType type = SpeechEventType::kNone;
    // kStart: first sample of the first speech frame of the START window (the detected onset).
    // kEnd: the same onset, for the segment that just ended.
    std::uint64_t onset_sample = 0;
    // kStart: onset_sample - prefix padding (clamped to 0): where the audio for the recognizer
    // begins; copy_audio() returns audio from here. kEnd: same value.
    std::uint64_t audio_begin_sample = 0;
    // kEnd: one past the last sample of the last speech frame.
    std::uint64_t end_sample = 0;
    // One past the last sample of the frame whose decision produced this event: decided_at -
    // onset (START) or decided_at - end (END) is the detector's latency.
    std::uint64_t decided_at_sample = 0;
};

class SpeechDetector {
public:
    // Errors: kInvalidRate (rate not a multiple of 100 Hz or outside [8000, 48000]),
    // kInvalidArgument (padding or silence duration out of range).
    [[nodiscard]] static Result<SpeechDetector> create(const SpeechDetectorConfig& config = {});

    SpeechDetector(SpeechDetector&&) noexcept;
    SpeechDetector& operator=(SpeechDetector&&) noexcept;
    SpeechDetector(const SpeechDetector&) = delete;
    SpeechDetector& operator=(const SpeechDetector&) = delete;
    ~SpeechDetector();

    // Feeds one 10 ms frame and its speech decision. Precondition: frame.size() ==
    // samples_per_frame(sample_rate_hz). Returns kStart or kEnd when a decision is committed on
    // this frame, kNone otherwise. `may_start` false defers a START the window would commit on
    // this frame (the frames still count; it comes on the first later frame that allows it while
    // the window holds enough speech): a caller with evidence beyond the speech decisions (the
    // client's echo gate) vetoes a START with it. Never allocates.
    SpeechEvent process(std::span<const std::int16_t> frame, bool is_speech, bool may_start = true);

    // Appends the kept audio from `begin_sample` to the current position to `out`. Audio older
    // than prefix padding + the START window before the current position is gone; the copy
    // then starts at the oldest kept sample. Typical use: on kStart, copy from
    // event.audio_begin_sample to hand the onset to the recognizer.
    void copy_audio(std::uint64_t begin_sample, std::vector<std::int16_t>& out) const;

    [[nodiscard]] bool in_speech() const;
    // While in speech: non-speech frames since the last speech frame (END comes when this
    // reaches end_silence_frames()). 0 outside speech.
    [[nodiscard]] std::size_t silence_frames() const;
    // Non-speech frames that end speech (silence_duration_ms scaled by end_sensitivity).
    [[nodiscard]] std::size_t end_silence_frames() const;
    // Samples processed since create() or reset().
    [[nodiscard]] std::uint64_t position_samples() const;
    [[nodiscard]] const SpeechDetectorConfig& config() const;

    // Back to the initial state (no speech, position 0, no audio kept).
    void reset();

private:
    struct Impl;
    explicit SpeechDetector(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace parley::dsp
