// SPDX-License-Identifier: Apache-2.0
// `parley demo`: what `make demo` runs. No sound card, no API key.
#include <cstdio>

#include "commands.hpp"
#include "parley/local_server.hpp"
#include "parley/smoke_demo.hpp"

namespace parley::app {

void add_demo_command(CLI::App& app) {
    auto* demo = app.add_subcommand(
        "demo", "Run a scripted conversation against the in-process local server (no sound card)");
    demo->callback([] {
        (void)set_log_level("warn");
        set_exit_code(run_smoke_demo(stdout));
    });
}

}  // namespace parley::app
