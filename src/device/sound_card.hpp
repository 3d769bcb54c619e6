// SPDX-License-Identifier: Apache-2.0
// The sound card a user means: which backend drives it (PulseAudio natively when its server
// answers, else PortAudio), the device it opens, and the listing `parley devices` prints. Control
// thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "device/device.hpp"

namespace parley::device {

enum class AudioBackend {
    kAuto,       // PulseAudio when a server (PulseAudio's or PipeWire's) answers, else PortAudio
    kPulse,      // PulseDevice: libpulse, no ALSA plugin in between
    kPortAudio,  // PortAudioDevice: ALSA (or JACK, OSS) through PortAudio
};

// "auto", "pulse", "portaudio"; nullopt for anything else.
[[nodiscard]] std::optional<AudioBackend> parse_audio_backend(std::string_view name);
// kAuto resolved on this machine now; the others as they are.
[[nodiscard]] AudioBackend resolve_audio_backend(AudioBackend backend);

struct SoundCardOptions {
    AudioBackend backend = AudioBackend::kAuto;
    // "" = the default, digits = an index from `parley devices`, else a part of a name.
    std::string input_device{};
    std::string output_device{};
};

// An unopened device of the resolved backend.
[[nodiscard]] std::unique_ptr<Device> make_sound_card(const SoundCardOptions& options);

// The devices of the resolved backend. Errors: kBackendFailed (with `why`).
[[nodiscard]] Result<std::vector<AudioDeviceInfo>> list_sound_cards(AudioBackend backend,
                                                                    std::string* why = nullptr);

}  // namespace parley::device
