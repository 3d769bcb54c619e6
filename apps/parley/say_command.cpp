// SPDX-License-Identifier: Apache-2.0
// `parley say`: writes text spoken by the local server's voices to a WAV file, for scripting
// spoken test input.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dsp/error.hpp"
#include "parley/local_server.hpp"

namespace parley::app {
namespace {

int exit_code_value = 0;

struct SayOptions {
    std::string text;
    std::string voice = "slt";
    int rate_hz = 16000;
    std::string out = "say.wav";
};

}  // namespace

int exit_code() {
    return exit_code_value;
}
void set_exit_code(int code) {
    exit_code_value = code;
}

void add_say_command(CLI::App& app) {
    auto options = std::make_shared<SayOptions>();
    auto* say = app.add_subcommand("say", "Speak text with flite into a mono PCM16 WAV file");
    say->add_option("text", options->text, "What to say")->required();
    say->add_option("--voice", options->voice,
                    "flite voice (slt, rms, awb) or a Live API voice name (Kore, Puck, ...)")
        ->capture_default_str();
    say->add_option("--rate", options->rate_hz, "Sample rate of the file in Hz")
        ->capture_default_str()
        ->check(CLI::Range(8000, 192000));
    say->add_option("--out", options->out, "WAV file to write")->capture_default_str();
    say->callback([options] {
        if (auto written =
                speak_to_wav(options->text, options->voice, options->rate_hz, options->out);
            !written) {
            std::string message = written.error().message();
            if (written.error() == dsp::DspError::kFileOpenForWriteFailed)
                message = options->out + ": " + message;
            std::fprintf(stderr, "parley say: %s\n", message.c_str());
            set_exit_code(1);
        }
    });
}

}  // namespace parley::app
