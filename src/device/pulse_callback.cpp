// SPDX-License-Identifier: Apache-2.0
#include "device/pulse_callback.hpp"

#include <algorithm>
#include <span>

#include "device/rt_scope.hpp"

namespace parley::device {

void pulse_capture(RtBridge& bridge, const void* data, std::size_t bytes, std::int64_t now_ns,
                   bool first) noexcept {
    RtScope rt;
    const std::size_t samples = bytes / sizeof(std::int16_t);
    if (data != nullptr) {
        bridge.process_capture({static_cast<const std::int16_t*>(data), samples}, now_ns, first);
        return;
    }
    static constexpr std::int16_t kZeros[512] = {};
    for (std::size_t done = 0; done < samples; first = false) {
        const std::size_t n = std::min(samples - done, std::size(kZeros));
        bridge.process_capture({kZeros, n}, now_ns, first);
        done += n;
    }
}

void pulse_render(RtBridge& bridge, void* data, std::size_t bytes, std::int64_t now_ns) noexcept {
    RtScope rt;
    bridge.process_render({static_cast<std::int16_t*>(data), bytes / sizeof(std::int16_t)}, now_ns);
}

}  // namespace parley::device
