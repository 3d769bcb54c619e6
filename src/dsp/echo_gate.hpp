// SPDX-License-Identifier: Apache-2.0
// EchoGate: decides, per 10 ms frame, whether the echo-cancelled microphone may count as the
// user's speech while the model's voice plays, so the model never interrupts itself (local
// barge-in) and the service's VAD does not hear residual echo (the audio sent is ducked). Runs on
// the dsp thread after EchoCanceller; pure computation on the frames it is given (no clock, no
// I/O), so it is tested offline. Not thread-safe; one owner. Never allocates.
//
// Per frame: the far-end envelope is the loudest render frame of the last echo_window_ms (echo
// arrives after the device delay and lingers for the reverberation). While it is below
// far_active_dbfs the gate is open. Otherwise the gate learns, on frames it judges echo-only,
// (a) the residual coupling: cancelled-output energy relative to the far-end envelope, and
// (b) the canceller's echo reduction: microphone energy relative to output energy. A frame is
// "near-end dominant" when the output is near_margin_db above the residual the coupling
// predicts. Barge-in is allowed on near-end dominant frames once the canceller has converged
// (warm_up_ms of far-end playback and at least min_erle_db of measured reduction).
// Use: `detector.process(out, vad.process(out) && gate.process(render, mic, out).barge_in_allowed)`
// and gate.duck(send_copy) on the audio sent to the server.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace parley::dsp {

struct EchoGateConfig {
    // A far end quieter than this (loudest 10 ms frame of the window) plays no audible echo.
    double far_active_dbfs = -50.0;
    // Echo delay + reverberation the far-end envelope covers. Range [100, 2000].
    int echo_window_ms = 700;
    // Far-end playback the canceller gets before its output may count as the user's voice.
    int warm_up_ms = 1500;
    // Echo reduction (microphone / output energy on echo-only frames) needed to trust it; once
    // trusted, it is distrusted again only below min_erle_db - 6 dB.
    double min_erle_db = 12.0;
    // How far above the predicted residual echo a frame must be to count as the user's voice.
    double near_margin_db = 15.0;
    // ... and the canceller must have removed less than this from the frame (microphone level
    // over output level): the user's voice passes it almost unchanged, echo does not.
    double max_reduction_db = 10.0;
    // Barge-in stays allowed this long after a near-end dominant frame (the VAD's decisions
    // trail the energy by up to ~100 ms).
    int barge_in_hangover_ms = 100;
    // After a near-end dominant frame, frames are not used to learn the echo for this long (the
    // user's quieter sounds around their loud ones are not echo).
    int learn_holdoff_ms = 300;
    // Send-side: attenuation of the audio sent while the far end plays and the user does not
    // talk. The send path opens after send_open_frames near-end dominant frames among the last
    // 4 (a lone loud residual does not open it) and stays open duck_hangover_ms after the last.
    double duck_db = -30.0;
    int send_open_frames = 2;
    int duck_hangover_ms = 300;
};

// What the gate concluded on the last frame.
struct EchoGateState {
    bool far_active = false;     // the model's audio is (or was just) playing
    bool converged = false;      // warm-up done and measured reduction >= min_erle_db
    bool near_dominant = false;  // this frame is well above the predicted residual echo
    // !far_active || (converged && near_dominant within barge_in_hangover_ms)
    bool barge_in_allowed = true;
    double far_envelope_dbfs = -200.0;
    double coupling_db = 0.0;   // learned residual echo relative to the far-end envelope
    double erle_db = 0.0;       // learned microphone-to-output echo reduction
    double send_gain = 1.0;     // gain duck() applies (linear)
    double excess_db = 0.0;     // this frame's output above the predicted residual echo + noise
    double reduction_db = 0.0;  // this frame's microphone level above the output level
};

class EchoGate {
public:
    explicit EchoGate(const EchoGateConfig& config = {});

    // One 10 ms frame (all three the same length, e.g. 160 samples at 16 kHz): `render` is what
    // the speaker played (as given to EchoCanceller::analyze_render), `capture` the microphone
    // before cancellation, `cancelled` after it.
    const EchoGateState& process(std::span<const std::int16_t> render,
                                 std::span<const std::int16_t> capture,
                                 std::span<const std::int16_t> cancelled);

    // Applies the send gain decided by the last process() to a copy of the frame going to the
    // server, ramped across the frame (no clicks).
    void duck(std::span<std::int16_t> frame);

    [[nodiscard]] const EchoGateState& state() const { return state_; }
    [[nodiscard]] const EchoGateConfig& config() const { return config_; }

    // Back to the initial state (not converged); e.g. after the output device changed.
    void reset();

private:
    static constexpr std::size_t kMaxWindowFrames = 200;  // 2 s of 10 ms frames

    EchoGateConfig config_;
    EchoGateState state_;
    std::array<double, kMaxWindowFrames> far_energy_{};  // ring of render frame energies
    std::size_t window_frames_ = 1;
    std::size_t far_next_ = 0;
    std::uint64_t far_active_frames_ = 0;
    std::uint64_t warm_up_frames_ = 0;
    int hangover_frames_left_ = 0;
    int hangover_frames_ = 0;
    int holdoff_frames_left_ = 0;
    int barge_in_frames_left_ = 0;
    unsigned recent_dominant_ = 0;  // bit i: near-end dominant i frames ago
    double applied_gain_ = 1.0;
    double noise_dbfs_ = -90.0;  // tracked background level of the cancelled output
};

}  // namespace parley::dsp
