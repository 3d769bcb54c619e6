// SPDX-License-Identifier: Apache-2.0
// What PulseDevice's stream callbacks do with the samples, declared without libpulse so the
// rt-safety test can drive them with synthetic buffers. The callbacks (pulse_device.cpp) get the
// buffers from libpulse (pa_stream_peek, pa_stream_begin_write) and hand them here. rt: no
// allocation, lock, log, system call or throw; each opens an RtScope.
#pragma once

#include <cstddef>
#include <cstdint>

#include "device/rt_bridge.hpp"

namespace parley::device {

// One recorded fragment of mono PCM16 (`bytes` long) into the capture ring. `data` null: a hole
// in the stream (the server lost audio), captured as that much silence. A read callback may find
// many small fragments queued (a monitor source delivers the sink's blocks): only the first of a
// callback is `first`, so the device's block length is the callback's, not the fragment's.
void pulse_capture(RtBridge& bridge, const void* data, std::size_t bytes, std::int64_t now_ns,
                   bool first) noexcept;

// Fills a playback buffer of `bytes` the server asked for from the render ring (silence on
// underrun, fade-out on flush) and records it as reference.
void pulse_render(RtBridge& bridge, void* data, std::size_t bytes, std::int64_t now_ns) noexcept;

}  // namespace parley::device
