// SPDX-License-Identifier: Apache-2.0
// parley: the command line. Thin wiring only: each subcommand parses its options into a struct
// and hands them to the library.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"parley: real-time voice conversations with live speech models"};
    app.set_version_flag("--version", "parley 0.1.0");
    app.require_subcommand(1);
    parley::app::add_serve_command(app);
    parley::app::add_say_command(app);
    parley::app::add_demo_command(app);
    parley::app::add_talk_command(app);
    parley::app::add_devices_command(app);
    CLI11_PARSE(app, argc, argv);
    return parley::app::exit_code();
}
