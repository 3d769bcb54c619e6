// SPDX-License-Identifier: Apache-2.0
// The subcommands of `parley`, one file each; each registers its options and its callback.
#pragma once

#include <CLI/CLI.hpp>

namespace parley::app {

void add_serve_command(CLI::App& app);
void add_say_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_talk_command(CLI::App& app);
void add_devices_command(CLI::App& app);

// The exit code the subcommand that ran asked for (0 when none did).
int exit_code();
void set_exit_code(int code);

}  // namespace parley::app
