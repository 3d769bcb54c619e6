// SPDX-License-Identifier: Apache-2.0
#include "dsp/echo_gate.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "base/check.hpp"
#include "dsp/frame.hpp"
#include "dsp/level.hpp"

namespace parley::dsp {
namespace {

// Frames below this level are noise floor: they teach the gate nothing and are never speech.
constexpr double kFloorDbfs = -65.0;

}  // namespace

EchoGate::EchoGate(const EchoGateConfig& config) : config_(config) {
    reset();
}

void EchoGate::reset() {
    const int window_ms = std::clamp(config_.echo_window_ms, 100, 2000);
    window_frames_ = std::clamp<std::size_t>(static_cast<std::size_t>(window_ms / kFrameMs), 1,
                                             kMaxWindowFrames);
    warm_up_frames_ = static_cast<std::uint64_t>(std::max(0, config_.warm_up_ms) / kFrameMs);
    hangover_frames_ = std::max(0, config_.duck_hangover_ms) / kFrameMs;
    far_energy_.fill(-200.0);
    far_next_ = 0;
    far_active_frames_ = 0;
    hangover_frames_left_ = 0;
    holdoff_frames_left_ = 0;
    barge_in_frames_left_ = 0;
    recent_dominant_ = 0;
    noise_dbfs_ = -90.0;
    state_ = {};
    // Pessimistic start: as if the canceller removed nothing and the echo were as loud as the
    // far end. Echo-only frames pull both estimates to the truth within a second or two.
    state_.coupling_db = 0.0;
    state_.erle_db = 0.0;
    applied_gain_ = 1.0;
}

const EchoGateState& EchoGate::process(std::span<const std::int16_t> render,
                                       std::span<const std::int16_t> capture,
                                       std::span<const std::int16_t> cancelled) {
    PARLEY_DCHECK(render.size() == capture.size() && capture.size() == cancelled.size());
    EchoGateState& s = state_;

    far_energy_[far_next_] = energy_dbfs(render);
    far_next_ = (far_next_ + 1) % window_frames_;
    s.far_envelope_dbfs =
        *std::max_element(far_energy_.begin(), far_energy_.begin() + window_frames_);
    s.far_active = s.far_envelope_dbfs > config_.far_active_dbfs;

    const double out_dbfs = energy_dbfs(cancelled);
    const double mic_dbfs = energy_dbfs(capture);
    // Background noise of the output: falls at once to quieter frames, rises ~1 dB per second.
    const double out_floor_dbfs = std::max(out_dbfs, -120.0);
    noise_dbfs_ += (out_floor_dbfs < noise_dbfs_ ? 0.5 : 0.01) * (out_floor_dbfs - noise_dbfs_);
    // What the output holds without the user: residual echo plus the noise floor.
    const double echo_dbfs = s.far_envelope_dbfs + s.coupling_db;
    const double predicted_dbfs =
        10.0 * std::log10(std::pow(10.0, echo_dbfs / 10.0) + std::pow(10.0, noise_dbfs_ / 10.0));
    s.excess_db = out_dbfs - predicted_dbfs;
    s.reduction_db = mic_dbfs - out_dbfs;
    // Two tests, both needed: the output is well above the residual echo the far end predicts,
    // and the canceller removed little from this frame (a frame it cut by more than
    // max_reduction_db was mostly echo, however loud its leftover).
    s.near_dominant = out_dbfs > kFloorDbfs && s.excess_db > config_.near_margin_db &&
                      s.reduction_db < config_.max_reduction_db;

    if (s.near_dominant) {
        holdoff_frames_left_ = std::max(0, config_.learn_holdoff_ms) / kFrameMs;
    } else if (holdoff_frames_left_ > 0) {
        --holdoff_frames_left_;
    }
    if (s.far_active) {
        ++far_active_frames_;
        if (!s.near_dominant && holdoff_frames_left_ == 0 && mic_dbfs > kFloorDbfs) {
            // Echo-only frame (as far as we can tell): learn. The coupling follows the residual
            // up faster than down, so a loud residual soon stops looking like the user; the
            // user's first, not yet dominant frames push it up too, which only makes the gate
            // more careful for a moment.
            const double coupling = std::max(out_dbfs, kFloorDbfs) - s.far_envelope_dbfs;
            const double rate = coupling > s.coupling_db ? 0.2 : 0.02;
            s.coupling_db += rate * (coupling - s.coupling_db);
            const double erle = mic_dbfs - std::max(out_dbfs, kFloorDbfs);
            s.erle_db += 0.02 * (erle - s.erle_db);
        }
    }
    // Hysteresis: a few frames of double talk that slipped into the estimate do not undo it.
    const double erle_needed = s.converged ? config_.min_erle_db - 6.0 : config_.min_erle_db;
    s.converged = far_active_frames_ >= warm_up_frames_ && s.erle_db >= erle_needed;
    // The VAD judges a frame with ~100 ms of context (pitch and spectrum against 100 ms
    // earlier), so its speech decisions trail the energy: barge-in stays allowed for
    // barge_in_hangover_ms after a near-end dominant frame.
    if (s.converged && s.near_dominant) {
        barge_in_frames_left_ = std::max(0, config_.barge_in_hangover_ms) / kFrameMs;
    } else if (barge_in_frames_left_ > 0) {
        --barge_in_frames_left_;
    }
    const bool near_recent = s.near_dominant || barge_in_frames_left_ > 0;
    s.barge_in_allowed = !s.far_active || (s.converged && near_recent);

    recent_dominant_ =
        ((recent_dominant_ << 1) | (s.converged && s.near_dominant ? 1u : 0u)) & 0xFu;
    const bool send_open =
        !s.far_active || std::popcount(recent_dominant_) >= std::max(1, config_.send_open_frames);
    if (send_open) {
        hangover_frames_left_ = hangover_frames_;
        s.send_gain = 1.0;
    } else if (hangover_frames_left_ > 0) {
        --hangover_frames_left_;
        s.send_gain = 1.0;
    } else {
        s.send_gain = std::pow(10.0, config_.duck_db / 20.0);
    }
    return s;
}

void EchoGate::duck(std::span<std::int16_t> frame) {
    const double start = applied_gain_;
    const double target = state_.send_gain;
    const auto n = static_cast<double>(frame.size());
    for (std::size_t i = 0; i < frame.size(); ++i) {
        const double g = start + (target - start) * (static_cast<double>(i) + 1.0) / n;
        frame[i] = static_cast<std::int16_t>(std::lround(frame[i] * g));
    }
    applied_gain_ = target;
}

}  // namespace parley::dsp
