// SPDX-License-Identifier: Apache-2.0
// `parley devices`: the audio devices of the sound backend `parley talk` would use (PulseAudio's
// sources and sinks, or what PortAudio sees), one per line, with the index and name that
// `parley talk --input-device/--output-device` accept.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "parley/conversation.hpp"
#include "parley/local_server.hpp"

namespace parley::app {
namespace {

void run_devices(const std::string& backend_name) {
    (void)set_log_level("warn");
    std::string why;
    const AudioBackend backend = *parse_audio_backend(backend_name);
    auto devices = list_sound_cards(backend, &why);
    if (!devices) {
        std::fprintf(stderr, "parley devices: %s\n",
                     why.empty() ? devices.error().message().c_str() : why.c_str());
        set_exit_code(3);
        return;
    }
    if (devices->empty()) {
        std::printf("no audio devices found (is a sound card or sound server present?)\n");
        return;
    }
    // PulseAudio numbers its sources (in) and sinks (out) separately: an index means a source
    // for --input-device and a sink for --output-device.
    std::printf("%5s  %-40s %4s %4s %8s  %s\n", "index", "name", "in", "out", "rate", "api");
    for (const auto& d : *devices) {
        std::string marks;
        if (d.is_default_input)
            marks += " default-in";
        if (d.is_default_output)
            marks += " default-out";
        if (!d.description.empty() && d.description != d.name)
            marks += "  (" + d.description + ")";
        std::printf("%5d  %-40s %4d %4d %8d  %s%s\n", d.index, d.name.c_str(), d.max_input_channels,
                    d.max_output_channels, d.default_rate_hz, d.host_api.c_str(), marks.c_str());
    }
}

}  // namespace

void add_devices_command(CLI::App& app) {
    auto* devices = app.add_subcommand(
        "devices", "List audio devices: index, name, input/output channels, default rate");
    auto backend = std::make_shared<std::string>("auto");
    devices
        ->add_option("--audio-backend", *backend,
                     "Whose devices: auto (PulseAudio when its server answers, else PortAudio), "
                     "pulse or portaudio")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "pulse", "portaudio"}));
    devices->callback([backend] { run_devices(*backend); });
}

}  // namespace parley::app
