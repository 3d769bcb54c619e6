// SPDX-License-Identifier: Apache-2.0
// `parley demo`: what `make demo` runs. A scripted voice conversation through the Conversation
// client and the in-process local server; no sound card, no API key.
#include <cstdio>

#include "commands.hpp"
#include "parley/demo.hpp"
#include "parley/local_server.hpp"

namespace parley::app {

void add_demo_command(CLI::App& app) {
    auto* demo = app.add_subcommand(
        "demo",
        "Run a scripted voice conversation (a question, a story the user interrupts, a tool call) "
        "with the in-process local server; no sound card. Writes conversation.wav, "
        "transcript.jsonl and timeline.svg");
    auto options = std::make_shared<DemoOptions>();
    demo->add_option("--out", options->out_dir, "Folder for the recording, transcript and timeline")
        ->capture_default_str();
    demo->callback([options] {
        (void)set_log_level("warn");
        set_exit_code(run_demo(*options, stdout));
    });
}

}  // namespace parley::app
