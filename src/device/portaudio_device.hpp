// SPDX-License-Identifier: Apache-2.0
// PortAudioDevice: the sound-card Device behind `parley talk` (portaudio_device.cpp is the only
// file that includes portaudio.h). One full-duplex stream when input and output are the same
// device (so capture, render and the echo reference share one callback and one clock), else two
// streams on clocks of their own, which the dsp side follows. Device buffers of any size; mono
// PCM16 at the device's rate (stereo-only devices are down/up-mixed in the callback). Control
// calls from one control thread (or the DeviceWatchdog); the callback is rt.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "device/device.hpp"
#include "device/portaudio_callback.hpp"

namespace parley::device {

inline constexpr int kDefaultMinLatencyMs = 40;

// How input and output are opened when they are the same device.
enum class StreamMode {
    // One duplex stream, except on ALSA sound-server plugins ("default", "pulse", "pipewire"
    // through ALSA), where PortAudio 19.6's duplex polling stalls after a few callbacks (seen
    // with the PulseAudio plugin); there two streams of the same server are used.
    kAuto,
    kDuplex,      // always one duplex stream
    kTwoStreams,  // always an input stream and an output stream
};

struct PortAudioDeviceOptions {
    // "" = the default device; all digits = a device index from list_devices(); anything else =
    // the first device whose name contains it (case-insensitive) and has channels that way.
    std::string input_device{};
    std::string output_device{};
    int sample_rate_hz = 0;     // 0: the output device's default rate (then 48000, 44100, ...)
    int frames_per_buffer = 0;  // 0: whatever the device likes (varies; never assumed 10 ms)
    // 0: the device's default low latency, but at least kDefaultMinLatencyMs: through ALSA's
    // pulse plugin 9-30 ms gave hundreds of device xruns per 3 s on a loaded 2-core machine,
    // 40 ms none. Set it lower explicitly for a quiet machine with a real sound card.
    int suggested_latency_ms = 0;
    int capture_ring_ms = 250;
    int render_ring_ms = 250;
    int flush_fade_ms = 5;
    bool reference_enabled = true;
    StreamMode stream_mode = StreamMode::kAuto;
};

// Every device PortAudio sees. Errors: kBackendFailed (with `why`).
[[nodiscard]] Result<std::vector<AudioDeviceInfo>> list_devices(std::string* why = nullptr);

class PortAudioDevice final : public Device {
public:
    explicit PortAudioDevice(PortAudioDeviceOptions options = {});
    ~PortAudioDevice() override;

    // Finds the devices, negotiates rate and channels, opens the stream(s). Errors:
    // kNoSuchDevice ("no audio device matches 'xyz'; `parley devices` lists them"), kNoChannels,
    // kUnsupportedFormat, kBackendFailed, kOpenFailed; `why` gets the one-line reason.
    [[nodiscard]] Status open(std::string* why = nullptr) override;
    [[nodiscard]] Status start(std::string* why = nullptr) override;
    void stop() override;
    void close() override;
    // Closes the stream(s), rescans the devices, opens them again at the same rates and starts.
    [[nodiscard]] Status reopen(std::string* why = nullptr) override;

    [[nodiscard]] std::string name() const override;
    [[nodiscard]] bool is_running() const override { return running_.load(); }
    [[nodiscard]] DeviceLatency latency() const override;

    // True when one duplex stream carries input and output.
    [[nodiscard]] bool is_duplex() const noexcept { return duplex_; }
    [[nodiscard]] bool has_separate_clocks() const override { return !duplex_; }
    // Channels of the open device buffers (1, or 2 for stereo-only devices).
    [[nodiscard]] int input_channels() const noexcept { return capture_context_.input_channels; }
    [[nodiscard]] int output_channels() const noexcept {
        return duplex_ ? capture_context_.output_channels : render_context_.output_channels;
    }

private:
    struct Streams;
    Status open_locked(int forced_input_rate_hz, int forced_rate_hz, std::string* why);
    Status start_locked(std::string* why);
    void stop_locked();
    void close_locked();

    PortAudioDeviceOptions options_;
    mutable std::mutex control_mutex_;  // open/start/stop/close/reopen (never rt)
    std::unique_ptr<Streams> streams_;
    bool duplex_ = false;
    std::string input_name_;
    std::string output_name_;
    DeviceLatency latency_;
    PortAudioCallbackContext capture_context_;  // duplex mode: the only context
    PortAudioCallbackContext render_context_;
    std::atomic<bool> running_{false};
};

}  // namespace parley::device
