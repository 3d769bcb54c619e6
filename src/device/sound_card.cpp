// SPDX-License-Identifier: Apache-2.0
#include "device/sound_card.hpp"

#include "device/portaudio_device.hpp"
#include "device/pulse_device.hpp"

namespace parley::device {

std::optional<AudioBackend> parse_audio_backend(std::string_view name) {
    if (name == "auto")
        return AudioBackend::kAuto;
    if (name == "pulse")
        return AudioBackend::kPulse;
    if (name == "portaudio")
        return AudioBackend::kPortAudio;
    return std::nullopt;
}

AudioBackend resolve_audio_backend(AudioBackend backend) {
    if (backend != AudioBackend::kAuto)
        return backend;
    return pulse_server_available() ? AudioBackend::kPulse : AudioBackend::kPortAudio;
}

std::unique_ptr<Device> make_sound_card(const SoundCardOptions& options) {
    if (resolve_audio_backend(options.backend) == AudioBackend::kPulse)
        return std::make_unique<PulseDevice>(PulseDeviceOptions{
            .input_device = options.input_device, .output_device = options.output_device});
    return std::make_unique<PortAudioDevice>(PortAudioDeviceOptions{
        .input_device = options.input_device, .output_device = options.output_device});
}

Result<std::vector<AudioDeviceInfo>> list_sound_cards(AudioBackend backend, std::string* why) {
    if (resolve_audio_backend(backend) == AudioBackend::kPulse)
        return list_pulse_devices(why);
    return list_devices(why);
}

}  // namespace parley::device
