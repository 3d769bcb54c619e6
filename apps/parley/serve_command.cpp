// SPDX-License-Identifier: Apache-2.0
// `parley serve`: runs the local Live API server until Ctrl-C.
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <memory>
#include <thread>

#include "commands.hpp"
#include "parley/local_server.hpp"

namespace parley::app {
namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) { stop_requested = 1; }

struct ServeOptions {
    LocalServerOptions server;
    int max_connection_seconds = 600;
    int go_away_notice_seconds = 50;
    std::string log_level = "info";
    std::string brain = "builtin";
};

void run_serve(const ServeOptions& options) {
    if (!set_log_level(options.log_level)) {
        std::fprintf(stderr, "parley serve: --log-level must be debug, info, warn, error or off\n");
        set_exit_code(2);
        return;
    }
    auto server_options = options.server;
    server_options.max_connection = std::chrono::seconds(options.max_connection_seconds);
    server_options.go_away_notice = std::chrono::seconds(options.go_away_notice_seconds);
    if (options.brain == "openai") {
        if (server_options.brain_url.empty()) {
            std::fprintf(stderr, "parley serve: --brain openai needs --brain-url, e.g. "
                                 "http://127.0.0.1:8080/v1\n");
            set_exit_code(2);
            return;
        }
        server_options.brain = BrainKind::kOpenAi;
        if (const char* key = std::getenv("OPENAI_API_KEY")) server_options.brain_api_key = key;
    }
    if (server_options.host != "127.0.0.1" && server_options.host != "localhost" &&
        server_options.host != "::1") {
        std::fprintf(stderr, "parley serve: listening on %s: other machines can reach it\n",
                     server_options.host.c_str());
    }
    auto server = LocalServer::start(server_options);
    if (!server) {
        std::fprintf(stderr, "parley serve: %s\n", server.error().message().c_str());
        set_exit_code(1);
        return;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("parley serve: listening on %s\n", (*server)->url().c_str());
    std::printf("  SDKs: base URL http://%s:%u with any API key\n", server_options.host.c_str(),
                static_cast<unsigned>((*server)->port()));
    std::fflush(stdout);
    while (stop_requested == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::fprintf(stderr, "parley serve: stopping\n");
}

}  // namespace

void add_serve_command(CLI::App& app) {
    auto options = std::make_shared<ServeOptions>();
    auto* serve = app.add_subcommand(
        "serve", "Run the local Live API server (offline speech pipeline) on loopback");
    serve->add_option("--host", options->server.host, "Address to listen on")
        ->capture_default_str();
    serve->add_option("--port", options->server.port, "Port to listen on (0 picks a free one)")
        ->capture_default_str();
    serve->add_option("--max-connection-seconds", options->max_connection_seconds,
                      "Connection lifetime: goAway before it, close 1008 at it (0 = unlimited)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    serve->add_option("--go-away-notice-seconds", options->go_away_notice_seconds,
                      "How long before the end goAway is sent (at most half the lifetime)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    serve->add_option("--work-threads", options->server.work_threads,
                      "Threads for recognition, synthesis and the brain")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    serve->add_option("--decoders", options->server.recognizer_decoders,
                      "pocketsphinx decoders shared by all sessions (~120 MB each)")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    serve->add_flag("!--no-speech", options->server.speech,
                    "Turn detection only: no recognition or synthesis");
    serve->add_option("--brain", options->brain,
                      "Who writes the replies: builtin (rules, offline) or openai (an "
                      "OpenAI-compatible chat endpoint)")
        ->capture_default_str()
        ->check(CLI::IsMember({"builtin", "openai"}));
    serve->add_option("--brain-url", options->server.brain_url,
                      "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (llama.cpp), "
                      "http://127.0.0.1:11434/v1 (Ollama); key from OPENAI_API_KEY");
    serve->add_option("--brain-model", options->server.brain_model, "Model name sent to it")
        ->capture_default_str();
    serve->add_option("--log-level", options->log_level, "debug, info, warn, error or off")
        ->capture_default_str();
    serve->callback([options] { run_serve(*options); });
}

}  // namespace parley::app
