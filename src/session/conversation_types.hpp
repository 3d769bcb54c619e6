// SPDX-License-Identifier: Apache-2.0
// The Conversation's value types: configuration, transcript lines, per-turn metrics, events and
// the sink that receives them (on io). Plain aggregates; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dsp/echo_canceller.hpp"
#include "session/live_session_config.hpp"
#include "session/live_session_sink.hpp"

namespace parley::session {

// A function the model may call, registered by name. Runs on io: keep it quick.
using ToolFunction = std::function<nlohmann::json(const nlohmann::json& args)>;

struct ConversationConfig {
    LiveSessionConfig session{};
    // kOff for headphones (no echo to cancel).
    dsp::EchoMode echo_mode = dsp::kDefaultEchoMode;
    int echo_delay_ms = -1;    // -1: from the device's latency
    int render_depth_ms = 30;  // how much model audio waits in the render ring
    // Local barge-in pauses playback; without the server's `interrupted` within this long it
    // resumes (a cough, a backchannel).
    std::chrono::milliseconds barge_in_confirm{600};
    std::string record_path{};  // stereo 16 kHz WAV: microphone left, what played right
};

// One line of the transcript, as heard: model lines are cut to what was played.
struct TranscriptLine {
    std::string who;  // "user" or "model"
    std::string text;
    double start_ms = 0;
    double end_ms = 0;
    bool interrupted = false;
    TurnId turn = 0;  // the model turn (user lines: the model turn that answered)
    // The conversation stopped (stop(), Ctrl-C, end of input) before the line was final: the
    // text is what had arrived (model lines: cut to what was played).
    bool incomplete = false;
};

struct TurnMetrics {
    TurnId turn = 0;
    // End of the user's speech (local VAD) -> first audio of this turn heard.
    std::optional<double> response_latency_ms{};
    // Barge-in onset (local VAD) -> output silent.
    std::optional<double> barge_in_silence_ms{};
    double played_ms = 0;
    double generated_ms = 0;
    bool interrupted = false;
};

enum class ConversationEventType {
    kReady,              // setupComplete
    kUserSpeechStarted,  // local VAD
    kUserSpeechEnded,
    kModelAudible,    // first audio of a model turn reaches the speaker
    kBargeIn,         // local VAD heard the user over the model: playback paused
    kBargeInResumed,  // not confirmed in time: playback resumed
    kInterrupted,     // the server confirmed: the turn's audio dropped
    kModelTurnEnded,  // the model's turn is complete (metrics set)
    kTranscript,      // a transcript line is final (line set)
    // A transcript line in progress (line set: its text so far, per speaker). The next partial of
    // the same speaker replaces it; a kTranscript of that speaker ends it. Model text arrives
    // ahead of its audio, so a partial is not cut to what was heard.
    kTranscriptPartial,
    kToolCall,  // a tool was called (text: "name(args) -> result")
    // The server announced the end of its connection (goAway; text: time left, e.g. "10 s"):
    // the session moves to a new connection at the next turn boundary.
    kGoAway,
    // The session is opening a new connection by itself (reconnecting set: cause, attempt,
    // backoff): after a goAway, or after the connection was lost. Audio is kept meanwhile.
    kReconnecting,
    kResumed,  // the new connection carries the session on (resumed set: gap, audio resent/lost)
    kClosed,   // the session ended (text: why, empty when we closed it)
};

struct ConversationEvent {
    ConversationEventType type = ConversationEventType::kReady;
    double at_ms = 0;  // conversation time (capture timeline)
    TurnId turn = 0;
    std::string text{};
    std::optional<TranscriptLine> line{};
    std::optional<TurnMetrics> metrics{};
    std::optional<Reconnecting> reconnecting{};  // kReconnecting
    std::optional<Resumed> resumed{};            // kResumed
};

// Receives every event on the io thread (except the lines stop() makes final: on the thread that
// calls stop(), after io has stopped); must not block.
class ConversationSink {
public:
    virtual ~ConversationSink() = default;
    virtual void on_event(const ConversationEvent& event) = 0;
};

}  // namespace parley::session
