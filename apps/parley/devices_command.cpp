// SPDX-License-Identifier: Apache-2.0
// `parley devices`: the audio devices PortAudio sees, one per line, with the index and name
// that `parley talk --input-device/--output-device` accept.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "parley/conversation.hpp"
#include "parley/local_server.hpp"

namespace parley::app {
namespace {

void run_devices() {
    (void)set_log_level("warn");
    std::string why;
    auto devices = list_devices(&why);
    if (!devices) {
        std::fprintf(stderr, "parley devices: %s\n",
                     why.empty() ? devices.error().message().c_str() : why.c_str());
        set_exit_code(3);
        return;
    }
    if (devices->empty()) {
        std::printf(
            "no audio devices found (PortAudio sees none: is a sound card or sound "
            "server present?)\n");
        return;
    }
    std::printf("%5s  %-40s %4s %4s %8s  %s\n", "index", "name", "in", "out", "rate", "api");
    for (const auto& d : *devices) {
        std::string marks;
        if (d.is_default_input)
            marks += " default-in";
        if (d.is_default_output)
            marks += " default-out";
        std::printf("%5d  %-40s %4d %4d %8d  %s%s\n", d.index, d.name.c_str(), d.max_input_channels,
                    d.max_output_channels, d.default_rate_hz, d.host_api.c_str(), marks.c_str());
    }
}

}  // namespace

void add_devices_command(CLI::App& app) {
    auto* devices = app.add_subcommand(
        "devices", "List audio devices: index, name, input/output channels, default rate");
    devices->callback([] { run_devices(); });
}

}  // namespace parley::app
