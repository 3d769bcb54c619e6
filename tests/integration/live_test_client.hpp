// SPDX-License-Identifier: Apache-2.0
// LiveTestClient: a bare Live API client for integration tests, built from the transport and
// protocol layers only (the library's own client is tested separately). It records every server
// message with its arrival time and lets a test wait for what it expects. Test thread + io.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/client_message.hpp"
#include "protocol/server_message.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_connection.hpp"

namespace parley::test {

struct Received {
    std::chrono::steady_clock::time_point at;
    protocol::ServerMessage message;
};

// What a user would notice of a run of server messages.
struct TurnSummary {
    double audio_seconds = 0;
    std::size_t audio_chunks = 0;
    std::string text, input_text, output_text;
    bool interrupted = false, generation_complete = false, turn_complete = false;
    std::vector<std::string> order;  // "audio", "generationComplete", "interrupted", ...
    std::vector<protocol::FunctionCall> tool_calls;
};

TurnSummary summarize(const std::vector<Received>& messages, std::size_t from = 0,
                      std::size_t to = static_cast<std::size_t>(-1));

class LiveTestClient {
public:
    // Connects to ws://127.0.0.1:port with the SDK's path and `setup`; waits for setupComplete
    // unless `expect_setup_complete` is false.
    static std::unique_ptr<LiveTestClient> connect(std::uint16_t port, const protocol::Setup& setup,
                                                   bool expect_setup_complete = true);
    // Connects and sends nothing.
    static std::unique_ptr<LiveTestClient> connect_without_setup(std::uint16_t port);
    ~LiveTestClient();

    void send(const protocol::ClientMessage& message);
    void send_raw(std::string text);
    void send_audio(std::span<const int16_t> pcm_16k, std::chrono::milliseconds chunk = std::chrono::milliseconds(20),
                    bool paced = false);
    void send_text_turn(const std::string& text);
    void drop();  // closes the socket without a close frame

    // Waits until `done(messages)` holds; false on timeout.
    bool wait_for(const std::function<bool(const std::vector<Received>&)>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Index of the first message at or after `from` for which `match` holds, waiting for it.
    std::optional<std::size_t> wait_message(const std::function<bool(const protocol::ServerMessage&)>& match,
                                            std::size_t from = 0,
                                            std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Waits for the next turnComplete at or after `from` and summarizes [from, it].
    std::optional<TurnSummary> next_turn(std::size_t from = 0,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(30));
    std::optional<transport::CloseInfo> wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(30));

    std::vector<Received> messages();
    std::size_t count();

private:
    LiveTestClient() = default;
    transport::EventLoop loop_;
    std::unique_ptr<transport::WsConnection> connection_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Received> messages_;
    std::optional<transport::CloseInfo> closed_;
    std::vector<std::string> decode_errors_;
};

// A setup like the SDK's for `model`, with both transcriptions on.
protocol::Setup transcribed_setup();

}  // namespace parley::test
