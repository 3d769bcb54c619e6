// SPDX-License-Identifier: Apache-2.0
// LoadSession: one simulated Live API client of the server load generator (bench/server_load.cpp):
// a WebSocket connection, a microphone that streams pre-encoded 16 kHz chunks paced in real time
// (silence, or a Prompt when told to speak), and the server events a benchmark times. Everything
// runs on the load generator's single io thread; pump() is driven by one shared ticker timer.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server_load_prompts.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_connection.hpp"

namespace parley::bench {

using Clock = std::chrono::steady_clock;

enum class ServerEvent {
    kSetupComplete,
    kAudio,  // a modelTurn message with inlineData
    kGenerationComplete,
    kTurnComplete,
    kInterrupted,
    kInputTranscription,  // `text` holds the fragment
    kClosed,              // the connection closed or failed; `text` says why
};

enum class SpeechMark {
    kOnset,  // the first chunk of a prompt was sent
    kEnd,    // the last chunk of a prompt (ending with its last speech sample) was sent
};

class LoadSession {
public:
    struct Handlers {
        std::function<void(LoadSession&, ServerEvent, Clock::time_point, const std::string& text)>
            on_event;
        std::function<void(LoadSession&, SpeechMark, Clock::time_point)> on_speech;
    };

    // `silence` (chunks of background sound, cycled) and every Prompt passed to say() must
    // outlive the session.
    LoadSession(transport::EventLoop& loop, std::size_t index,
                const std::vector<std::string>& silence, std::chrono::milliseconds chunk,
                Handlers handlers);
    ~LoadSession();
    LoadSession(const LoadSession&) = delete;
    LoadSession& operator=(const LoadSession&) = delete;

    // Opens the connection to `url` (Live path added) and sends `setup`; `done(error)` runs on io
    // with an empty string on success (setupComplete then arrives as an event).
    void connect(const std::string& url, std::string setup, std::function<void(std::string)> done);
    // From now on chunk n is due at `start` + n * chunk. io only.
    void start_mic(Clock::time_point start);
    void stop_mic() { mic_on_ = false; }
    // The next chunk due starts `prompt`; silence follows it. io only.
    void say(const Prompt& prompt);
    // Sends every chunk due by `now`; returns how late the oldest of them was. io only.
    std::chrono::microseconds pump(Clock::time_point now);
    void send_text(std::string message);
    // Closes the connection (1000). io only.
    void close();

    [[nodiscard]] std::size_t index() const { return index_; }
    [[nodiscard]] bool open() const { return connection_ != nullptr && !closed_; }
    [[nodiscard]] bool speaking() const { return prompt_ != nullptr; }

    // Free for the benchmark's own per-session state.
    std::shared_ptr<void> user;

private:
    void on_payload(const std::string& payload);

    transport::EventLoop& loop_;
    std::size_t index_;
    const std::vector<std::string>& silence_;
    std::chrono::milliseconds chunk_;
    Handlers handlers_;
    std::unique_ptr<transport::WsConnection> connection_;
    bool closed_ = false;
    bool mic_on_ = false;
    Clock::time_point mic_start_{};
    std::size_t next_chunk_ = 0;  // index of the next chunk due, since mic_start_
    const Prompt* prompt_ = nullptr;
    std::size_t prompt_at_ = 0;
};

}  // namespace parley::bench
