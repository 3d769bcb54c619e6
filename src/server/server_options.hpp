// SPDX-License-Identifier: Apache-2.0
// ServerOptions: everything `parley serve` and the in-process server can be told, with defaults
// written here so the CLI's help prints them. Plain aggregate; read on io at start.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::server {

enum class BrainKind { kBuiltin, kOpenAi };

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8765;  // 0 picks a free port
    // A connection lives this long: goAway with timeLeft comes `go_away_notice` before the end,
    // then a close with 1008, as the real service does after about ten minutes. 0 = unlimited.
    std::chrono::seconds max_connection{600};
    std::chrono::seconds go_away_notice{50};  // capped at half of max_connection
    // Resumption handles stay valid this long after their session was last used (the real
    // service: 2 hours).
    std::chrono::minutes resumption_ttl{120};
    // Blocking engines (recognition, synthesis, brain). More threads than cores, so that a long
    // synthesis never keeps other sessions' turn detection waiting.
    std::size_t work_threads = 4;
    // pocketsphinx decoders shared by all sessions: a decoder is held from the start of a user's
    // turn to its recognition (~3 s for a 2 s question), so 8 serve about 16 sessions asking
    // every 8 s. Two are loaded at start, the rest while the load needs them (~90 MB each).
    std::size_t recognizer_decoders = 8;
    static constexpr std::size_t recognizer_preload_decoders = 2;
    int work_nice = 0;   // > 0 lowers the workers' priority (in-process use)
    bool speech = true;  // false: turn detection only (no recognition/synthesis)
    BrainKind brain = BrainKind::kBuiltin;
    std::string brain_url;                // OpenAI-compatible chat completions endpoint (kOpenAi)
    std::string brain_model = "default";  // model name sent to it
    std::string brain_api_key;            // sent as a Bearer token when set; never logged
    // Limits, each ending what goes past it with a close reason that says so
    // (LIVE_PROTOCOL.md §8 codes).
    std::size_t max_message_bytes = std::size_t{16} << 20;  // larger messages: close 1009
    std::size_t max_connections = 64;  // sessions open at once; more: close 1011 "too many ..."
    // What one session may hold at once: audio not yet listened to, the conversation history,
    // and replies the client has not read yet. Past it: close 1011.
    std::size_t max_session_memory_bytes = std::size_t{64} << 20;
    // Access control. With a token, clients must present it as their API key (?key=,
    // x-goog-api-key or Authorization: Bearer); without one any key is accepted. Never logged.
    std::string token;
    // Browser origins allowed besides loopback ones (http://localhost:*, http://127.0.0.1:*),
    // e.g. "https://app.example.com". Requests with any other Origin header are refused (403).
    std::vector<std::string> allowed_origins;
};

}  // namespace parley::server
