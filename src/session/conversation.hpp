// SPDX-License-Identifier: Apache-2.0
// Conversation: a spoken conversation with a Live API model. Ties an audio Device and the dsp
// thread (ConversationDsp) to a LiveSession and a Player, with the barge-in policy (local VAD
// pauses, server `interrupted` flushes, unconfirmed pauses resume), tool dispatch, per-turn
// metrics and a transcript cut to what was heard. Control calls from one thread; events reach
// the ConversationSink on io.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "device/device.hpp"
#include "dsp/player.hpp"
#include "protocol/setup.hpp"
#include "session/conversation_dsp.hpp"
#include "session/conversation_types.hpp"
#include "session/live_session.hpp"
#include "transport/event_loop.hpp"

namespace parley::session {

class Conversation final : public LiveSessionSink, public DspObserver {
public:
    // `device` (opened by start() if needed) and `sink` must outlive the conversation.
    Conversation(device::Device& device, ConversationSink& sink);
    ~Conversation() override;
    Conversation(const Conversation&) = delete;
    Conversation& operator=(const Conversation&) = delete;

    // Declares a function to the model and answers its calls with `fn`. Before start().
    void add_tool(protocol::FunctionDeclaration declaration, ToolFunction fn);
    // Opens and starts the device, the dsp thread and the session. Errors: device, dsp and
    // session configuration errors; `why` gets one line.
    [[nodiscard]] Status start(ConversationConfig config, std::string* why = nullptr);
    // Ends the session and stops the audio. Idempotent. Transcript lines still in progress become
    // final, marked incomplete, and reach the sink as kTranscript events on the calling thread
    // (after io has stopped) instead of being lost.
    void stop();

    // Conversation time in ms (capture processed so far). Any thread.
    [[nodiscard]] double now_ms() const;
    // Transcript lines final so far, in order, and per-turn metrics. Any thread.
    [[nodiscard]] std::vector<TranscriptLine> transcript() const;
    [[nodiscard]] std::vector<TurnMetrics> metrics() const;
    // Every barge-in's onset (local VAD) -> output silent, in order (a turn's metrics keep only
    // its last one).
    [[nodiscard]] std::vector<double> barge_in_silences_ms() const;
    [[nodiscard]] SessionStats session_stats() const;
    // Model audio still queued or playing.
    [[nodiscard]] bool model_playing() const;
    // The microphone's level in dBFS (last 10 ms), or nothing before start(). Any thread.
    [[nodiscard]] std::optional<double> mic_level_dbfs() const;

private:
    struct ModelTurn {
        std::string text;
        double heard_ms = -1;
        TurnMetrics metrics;
        bool finished = false;
    };

    // LiveSessionSink (io)
    void on_setup_complete(const protocol::SetupComplete& complete) override;
    void on_audio(AudioChunk chunk) override;
    void on_input_transcription(const Transcript& transcript) override;
    void on_output_transcription(TurnId turn, const Transcript& transcript) override;
    void on_turn_complete(const TurnComplete& complete) override;
    void on_interrupted(TurnId turn) override;
    void on_tool_call(const std::vector<protocol::FunctionCall>& calls) override;
    void on_go_away(std::chrono::milliseconds time_left) override;
    void on_reconnecting(const Reconnecting& reconnecting) override;
    void on_resumed(const Resumed& resumed) override;
    void on_closed(const SessionClosed& closed) override;
    // DspObserver (dsp)
    void on_speech_start(double onset_ms, double now_ms) override;
    void on_speech_end(double end_ms, double now_ms) override;
    void on_turn_audible(dsp::TurnId turn, double heard_ms) override;
    void on_output_silent(double heard_ms) override;
    void on_tick(double now_ms) override;

    void emit(ConversationEvent event);  // posts to io
    ModelTurn& model_turn(TurnId turn);  // under mutex_
    void finish_model_turn(TurnId turn, bool interrupted, std::vector<ConversationEvent>& out);
    void flush_user_line(TurnId turn, std::vector<ConversationEvent>& out, bool incomplete = false);
    // stop(): lines in progress become final, marked incomplete.
    void finish_lines_in_progress(std::vector<ConversationEvent>& out);
    // The line in progress of `who` ("user", or "model" for `turn`), as a kTranscriptPartial.
    ConversationEvent partial_event(const std::string& who, TurnId turn);
    // When the pending user text was said (start, end in ms). With mutex_ held.
    [[nodiscard]] std::pair<double, double> user_line_span() const;

    device::Device& device_;
    ConversationSink& sink_;
    ConversationConfig config_;
    std::map<std::string, ToolFunction> tools_;
    std::vector<protocol::FunctionDeclaration> declarations_;
    dsp::Player player_;
    transport::EventLoop loop_;
    std::unique_ptr<LiveSession> session_;
    std::unique_ptr<ConversationDsp> dsp_;

    mutable std::mutex mutex_;
    std::map<TurnId, ModelTurn> turns_;
    std::vector<TranscriptLine> lines_;
    std::vector<TurnMetrics> metrics_;
    std::vector<double> silences_ms_;
    std::string user_text_;
    double user_start_ms_ = -1;
    double user_end_ms_ = -1;
    // Start and end of the speech the pending user text was said in, fixed when the user speaks
    // again before the line is written.
    std::optional<std::pair<double, double>> user_line_span_;
    bool user_speaking_ = false;
    // Barge-in in progress.
    bool paused_ = false;
    double pause_ms_ = 0;
    double barge_onset_ms_ = -1;
    TurnId barge_turn_ = 0;
    bool measuring_silence_ = false;
    bool started_ = false;
};

}  // namespace parley::session
