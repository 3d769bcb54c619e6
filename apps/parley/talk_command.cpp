// SPDX-License-Identifier: Apache-2.0
// `parley talk`: a spoken conversation through the sound card (or WAV files) with Gemini, a URL,
// or the local server in-process. Parses options into TalkOptions and hands them to run_talk.
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "parley/local_server.hpp"
#include "parley/talk.hpp"

namespace parley::app {
namespace {

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int /*signal*/) {
    stop_requested.store(true);
}

struct TalkCommandOptions {
    TalkOptions talk;
    int timeout_seconds = 60;
    int reconnect_seconds = 60;
    int verbosity = 0;
    std::string log_level;
};

int terminal_columns() {
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        return size.ws_col;
    return 100;
}

void run(TalkCommandOptions& options) {
    std::string level = options.log_level;
    if (level.empty())
        level = options.verbosity >= 2 ? "debug" : options.verbosity == 1 ? "info" : "warn";
    if (!set_log_level(level)) {
        std::fprintf(stderr, "parley talk: --log-level must be debug, info, warn, error or off\n");
        set_exit_code(static_cast<int>(TalkExit::kUsage));
        return;
    }
    options.talk.timeout = std::chrono::seconds(options.timeout_seconds);
    options.talk.reconnect_for = std::chrono::seconds(options.reconnect_seconds);
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    const TalkIo io{.out = stdout,
                    .err = stderr,
                    .live_status = isatty(STDOUT_FILENO) == 1,
                    .terminal_columns = terminal_columns(),
                    .stop = &stop_requested};
    set_exit_code(static_cast<int>(run_talk(options.talk, io)));
}

}  // namespace

void add_talk_command(CLI::App& app) {
    auto options = std::make_shared<TalkCommandOptions>();
    auto& talk = options->talk;
    auto* cmd = app.add_subcommand(
        "talk",
        "Talk with a live model through the sound card (or WAV files). Without an API key "
        "(GEMINI_API_KEY) or --url, the local server runs in this process.");
    cmd->add_option("--url", talk.url, "ws:// or wss:// URL of a Live API server")
        ->capture_default_str();
    cmd->add_option("--model", talk.model, "Model id")->capture_default_str();
    cmd->add_option("--voice", talk.voice, "Voice name (Kore, Puck, ...); default: the model's");
    cmd->add_option("--system", talk.system_instruction, "System instruction");
    cmd->add_option("--input-device", talk.input_device,
                    "Microphone: index or part of a name from `parley devices` (default: the "
                    "system's)");
    cmd->add_option("--output-device", talk.output_device,
                    "Speaker: index or part of a name from `parley devices` (default: the "
                    "system's)");
    cmd->add_option("--audio-backend", talk.audio_backend,
                    "Who drives the sound card: auto (PulseAudio when its server answers, else "
                    "PortAudio), pulse or portaudio")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "pulse", "portaudio"}));
    cmd->add_option("--input", talk.input_path,
                    "WAV file to say instead of the microphone, streamed in real time; ends when "
                    "the model has answered");
    cmd->add_option("--output", talk.output_path,
                    "WAV file for the model's audio instead of the speaker (with --input)");
    cmd->add_option("--record", talk.record_path,
                    "Record the conversation: stereo WAV, microphone left, model right");
    cmd->add_option("--transcript", talk.transcript_path,
                    "Write the transcript as JSON lines (as heard: cut where you interrupted)");
    cmd->add_flag("--headphones", talk.headphones, "Headphones: echo cancellation off");
    cmd->add_option("--timeout", options->timeout_seconds,
                    "With --input: seconds to wait for the answer after the file ends")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    cmd->add_option("--reconnect-for", options->reconnect_seconds,
                    "Seconds to keep reconnecting after a lost connection or a retryable close "
                    "(1011, ...); 0: end at once")
        ->capture_default_str()
        ->check(CLI::Range(0, 3600));
    cmd->add_flag("-v,--verbose", options->verbosity, "More logging on stderr (-vv: debug)");
    cmd->add_option("--log-level", options->log_level,
                    "debug, info, warn, error or off (default: warn)");
    cmd->callback([options] { run(*options); });
}

}  // namespace parley::app
