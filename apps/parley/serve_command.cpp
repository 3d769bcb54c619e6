// SPDX-License-Identifier: Apache-2.0
// `parley serve`: runs the local Live API server until Ctrl-C.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "commands.hpp"
#include "parley/local_server.hpp"
#include "server/live_server.hpp"

namespace parley::app {
namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) {
    stop_requested = 1;
}

struct ServeOptions {
    LocalServerOptions server;
    int max_connection_seconds = 600;
    int go_away_notice_seconds = 50;
    std::string log_level = "info";
    std::string brain = "builtin";
    std::size_t max_message_mb = 16;
    std::size_t max_session_mb = 64;
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
    server_options.max_message_bytes = options.max_message_mb << 20;
    server_options.max_session_memory_bytes = options.max_session_mb << 20;
    if (options.brain == "openai") {
        if (server_options.brain_url.empty()) {
            std::fprintf(stderr,
                         "parley serve: --brain openai needs --brain-url, e.g. "
                         "http://127.0.0.1:8080/v1\n");
            set_exit_code(2);
            return;
        }
        server_options.brain = BrainKind::kOpenAi;
        if (const char* key = std::getenv("OPENAI_API_KEY"))
            server_options.brain_api_key = key;
    }
    if (!server::is_loopback_host(server_options.host)) {
        if (server_options.token.empty()) {
            std::fprintf(stderr,
                         "parley serve: --host %s can be reached from other machines: set --token "
                         "(or PARLEY_SERVE_TOKEN) so that only clients that know it get in\n",
                         server_options.host.c_str());
            set_exit_code(2);
            return;
        }
        std::fprintf(stderr,
                     "parley serve: listening on %s: other machines can reach it with the token\n",
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
    std::printf("  SDKs: base URL http://%s:%u with %s\n", server_options.host.c_str(),
                static_cast<unsigned>((*server)->port()),
                server_options.token.empty() ? "any API key" : "the --token as API key");
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
    serve
        ->add_option("--max-connection-seconds", options->max_connection_seconds,
                     "Connection lifetime: goAway before it, close 1008 at it (0 = unlimited)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    serve
        ->add_option("--go-away-notice-seconds", options->go_away_notice_seconds,
                     "How long before the end goAway is sent (at most half the lifetime)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    serve
        ->add_option("--work-threads", options->server.work_threads,
                     "Threads for turn detection, recognition, synthesis and the brain")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    // Below the network thread: it reads every session's audio and starts the work, so under
    // load the workers must not take its CPU (at 750 sessions on 2 cores they did, at nice 0).
    options->server.work_nice = 5;
    serve
        ->add_option("--work-nice", options->server.work_nice,
                     "Nice increment of those threads (0 = the network thread's priority)")
        ->capture_default_str()
        ->check(CLI::Range(0, 19));
    serve
        ->add_option("--decoders", options->server.recognizer_decoders,
                     "Most pocketsphinx decoders shared by all sessions (2 loaded at start, the "
                     "rest as the load needs them; ~90 MB each)")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    serve->add_flag("!--no-speech", options->server.speech,
                    "Turn detection only: no recognition or synthesis");
    serve
        ->add_option("--brain", options->brain,
                     "Who writes the replies: builtin (rules, offline) or openai (an "
                     "OpenAI-compatible chat endpoint)")
        ->capture_default_str()
        ->check(CLI::IsMember({"builtin", "openai"}));
    serve->add_option("--brain-url", options->server.brain_url,
                      "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (llama.cpp), "
                      "http://127.0.0.1:11434/v1 (Ollama); key from OPENAI_API_KEY");
    serve->add_option("--brain-model", options->server.brain_model, "Model name sent to it")
        ->capture_default_str();
    serve
        ->add_option("--max-connections", options->server.max_connections,
                     "Sessions open at once; more are closed with 1011 \"too many sessions\"")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    serve
        ->add_option("--max-message-mb", options->max_message_mb,
                     "Largest client message in MiB; larger ones close the session with 1009")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    serve
        ->add_option("--max-session-mb", options->max_session_mb,
                     "Memory one session may hold in MiB (unheard audio, history, unread "
                     "replies); past it, close 1011")
        ->capture_default_str()
        ->check(CLI::Range(1, 65536));
    serve
        ->add_option("--token", options->server.token,
                     "Clients must send this as their API key (?key=, x-goog-api-key or "
                     "Authorization: Bearer); needed for a non-loopback --host")
        ->envname("PARLEY_SERVE_TOKEN");
    serve->add_option("--allow-origin", options->server.allowed_origins,
                      "Browser Origin allowed besides loopback ones, e.g. https://app.example.com "
                      "(repeatable; \"*\" allows any)");
    serve->add_option("--log-level", options->log_level, "debug, info, warn, error or off")
        ->capture_default_str();
    serve->callback([options] { run_serve(*options); });
}

}  // namespace parley::app
