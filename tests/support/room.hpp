// SPDX-License-Identifier: Apache-2.0
// Room: a simulated acoustic echo path from the loudspeaker to the microphone, for echo canceller
// and echo gate tests: a mildly non-linear loudspeaker (soft clipping), a bulk delay (device
// latencies + the air path), a synthetic room impulse response (direct path, early reflections,
// an exponentially decaying diffuse tail with the given RT60), an echo gain and optional mic
// noise. Deterministic (seeded). Test code only; any thread; a Room is immutable after creation.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "support/test_audio.hpp"

namespace parley::test {

struct RoomConfig {
    int sample_rate_hz = 16000;
    // Bulk delay from the far-end sample to its direct path at the mic (device latencies, air).
    double delay_ms = 60.0;
    // Reverberation time: the diffuse tail decays by 60 dB in this time.
    double rt60_ms = 300.0;
    // Level of the echo at the mic relative to the far-end signal (IR energy normalized to 1,
    // then scaled; speech comes out within ~1 dB of this).
    double echo_gain_db = -10.0;
    // Loudspeaker soft clipping y = tanh(k x) / k on x in [-1, 1]; 0 = a linear loudspeaker.
    // 1.5 compresses a full-scale peak by ~3.5 dB and a -12 dBFS peak by ~0.2 dB.
    double loudspeaker_drive = 1.5;
    // White mic noise level; -200 = none.
    double mic_noise_dbfs = -200.0;
    std::uint32_t seed = 1;
};

class Room {
public:
    explicit Room(const RoomConfig& config = {});

    // The echo of `far_end` at the microphone, as long as `far_end` (the tail is cut).
    [[nodiscard]] Samples echo(std::span<const std::int16_t> far_end) const;
    // What the microphone records: echo(far_end) + near_end + mic noise, as long as the longer
    // input. Saturates.
    [[nodiscard]] Samples capture(std::span<const std::int16_t> far_end,
                                  std::span<const std::int16_t> near_end) const;

    // The room impulse response (without bulk delay and gain); energy 1.
    [[nodiscard]] const std::vector<double>& impulse_response() const { return ir_; }
    [[nodiscard]] std::size_t delay_samples() const { return delay_samples_; }
    [[nodiscard]] const RoomConfig& config() const { return config_; }

private:
    RoomConfig config_;
    std::vector<double> ir_;
    std::size_t delay_samples_ = 0;
};

}  // namespace parley::test
