// SPDX-License-Identifier: Apache-2.0
// The PortAudio stream callback and its context, declared without portaudio.h so the rt-safety
// test can drive the real callback with synthetic buffers. PortAudioDevice passes the function
// to Pa_OpenStream; nothing else should call it. The callback runs on rt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "device/rt_bridge.hpp"

// From portaudio.h (a named struct, so this declaration matches it).
struct PaStreamCallbackTimeInfo;

namespace parley::device {

enum class StreamRole {
    kDuplex,   // one stream with input and output (same device, same clock)
    kCapture,  // input-only stream (two-stream mode)
    kRender,   // output-only stream (two-stream mode)
};

// Everything the callback touches, built off rt before the stream opens.
struct PortAudioCallbackContext {
    RtBridge* bridge = nullptr;
    StreamRole role = StreamRole::kDuplex;
    int input_channels = 1;  // interleaved PCM16 channels of the device buffers
    int output_channels = 1;
    // Mono work buffers for devices that need stereo; blocks larger than this are processed in
    // pieces. Allocate with allocate_scratch() before the stream starts.
    std::vector<std::int16_t> scratch_in;
    std::vector<std::int16_t> scratch_out;

    void allocate_scratch(std::size_t frames) {
        scratch_in.assign(frames, 0);
        scratch_out.assign(frames, 0);
    }
};

// The PortAudio callback (PaStreamCallback). `input`/`output` are interleaved PCM16 (either may be
// null); `user_data` is a PortAudioCallbackContext. Always returns paContinue (0).
// Must not: allocate, free, lock, log, block, make syscalls or throw. It only copies between the
// device buffers and the rings (through RtBridge) and bumps atomics.
int portaudio_stream_callback(const void* input, void* output, unsigned long frame_count,
                              const PaStreamCallbackTimeInfo* time_info, unsigned long status_flags,
                              void* user_data) noexcept;

}  // namespace parley::device
