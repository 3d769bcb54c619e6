// SPDX-License-Identifier: Apache-2.0
// The facade's simulated room echo (see conversation.hpp).
#include "parley/conversation.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace parley {

device::EchoPath make_room_echo(int rate_hz, int delay_ms, double gain_db, int rt60_ms,
                                double loudspeaker_drive) {
    struct Room {
        std::vector<float> line;  // delay line of the direct sound
        std::size_t pos = 0;
        std::vector<float> comb;  // one feedback comb for the reverberation tail
        std::size_t comb_pos = 0;
        float gain = 0;
        float feedback = 0;
        double drive = 0;
    };
    auto room = std::make_shared<Room>();
    room->line.assign(static_cast<std::size_t>(std::max(1, rate_hz * delay_ms / 1000)), 0.0F);
    const int comb_ms = 29;
    room->comb.assign(static_cast<std::size_t>(rate_hz * comb_ms / 1000), 0.0F);
    room->gain = static_cast<float>(std::pow(10.0, gain_db / 20.0));
    // -60 dB after rt60_ms: feedback^(rt60 / comb) = 1e-3
    room->feedback = static_cast<float>(
        std::pow(10.0, -3.0 * comb_ms / static_cast<double>(std::max(rt60_ms, comb_ms))));
    room->drive = std::max(0.0, loudspeaker_drive);
    return [room](std::span<const std::int16_t> played, std::span<std::int16_t> echo) {
        for (std::size_t i = 0; i < played.size(); ++i) {
            const float direct = room->line[room->pos];
            double x = static_cast<double>(played[i]) / 32768.0;
            if (room->drive > 0)
                x = std::tanh(room->drive * x) / room->drive;
            room->line[room->pos] = static_cast<float>(x * 32768.0);
            room->pos = (room->pos + 1) % room->line.size();
            const float tail = room->comb[room->comb_pos];
            room->comb[room->comb_pos] = direct + tail * room->feedback;
            room->comb_pos = (room->comb_pos + 1) % room->comb.size();
            const float out = room->gain * (direct + 0.5F * tail);
            echo[i] = static_cast<std::int16_t>(std::clamp(out, -32768.0F, 32767.0F));
        }
    };
}

}  // namespace parley
