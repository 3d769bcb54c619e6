// SPDX-License-Identifier: Apache-2.0
// LiveSessionSink: the one receiver of a LiveSession's typed events (every server message, plus
// setup and close), and the event types it gets. Implemented by the Conversation (or a test);
// every method is invoked on the session's **io** thread, one at a time, in arrival order.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "protocol/content.hpp"
#include "protocol/enums.hpp"
#include "protocol/server_message.hpp"

namespace parley::session {

// A client-side number for one model turn (its audio, text and transcripts). 1, 2, 3, ... in
// order; 0 = no model turn yet. A new id starts at the first model output after a turnComplete
// or interrupted, so a Player can flush exactly the interrupted turn and never the next one.
using TurnId = std::uint64_t;

struct AudioChunk {
    TurnId turn = 0;
    int rate_hz = 24000;                // from the blob's mimeType; the Live API sends 24 kHz
    std::vector<std::int16_t> samples;  // PCM16 mono
};

struct Transcript {
    std::string text;       // an incremental fragment
    bool finished = false;  // the server marked the transcription finished
};

struct TurnComplete {
    TurnId turn = 0;  // the turn that ended (0 if the model said nothing this turn)
    std::optional<protocol::UsageMetadata> usage{};  // when it came in the same message
    std::optional<protocol::TurnCompleteReason> reason{};
    bool waiting_for_input = false;
};

struct SessionClosed {
    // {} when the client closed the session itself; otherwise why it ended: a SessionError
    // (kClosedByServer, kServerError, kSetupTimeout, kConnectionLost, kProtocolError,
    // kTokenProviderFailed) or the transport's error for a failed connect.
    std::error_code error{};
    std::uint16_t close_code = 0;  // the WebSocket close code when a close frame came, else 0
    std::string reason{};          // the server's close reason text (may be empty)
    // One line for a person, no secrets: "the server closed the session: 1008 models/x is not
    // found ..." or "cannot connect to 127.0.0.1:9: ...".
    std::string message{};
};

// Why a LiveSession is opening a new connection by itself (LiveSessionConfig::reconnect).
enum class ReconnectCause {
    kGoAway,          // the server announced the end of the connection: switch-over, no gap
    kConnectionLost,  // the connection dropped: retrying with backoff
};

struct Reconnecting {
    ReconnectCause cause = ReconnectCause::kConnectionLost;
    int attempt = 1;                        // 1, 2, ... for this outage
    std::chrono::milliseconds retry_in{0};  // when this attempt starts (backoff)
    // One line for a status display, no secrets: "connection lost (...): reconnecting in 0.4 s
    // (attempt 3)" or "the server asked to move (goAway): switching connections".
    std::string message{};
};

struct Resumed {
    ReconnectCause cause = ReconnectCause::kConnectionLost;
    int attempts = 1;
    // How long no connection carried the user's audio (0 for a switch-over, where the old
    // connection carried it until the new one was ready).
    std::chrono::milliseconds gap{0};
    std::uint64_t audio_resent_ms = 0;  // sent before the drop, not acknowledged, sent again
    std::uint64_t audio_lost_ms = 0;    // could not be resent (past max_pending_audio)
};

// Every method runs on the io thread and must not block (no waiting on locks held elsewhere for
// long, no file or network I/O, no engines): hand heavy work to another thread. A method may
// call any LiveSession method except the destructor. The defaults ignore the event.
class LiveSessionSink {
public:
    virtual ~LiveSessionSink() = default;

    // setupComplete: the session is open; sends queued before it go out now. After reconnect()
    // it comes again for the new connection.
    virtual void on_setup_complete(const protocol::SetupComplete& /*complete*/) {}
    // Model audio (serverContent.modelTurn inlineData), in order.
    virtual void on_audio(AudioChunk /*chunk*/) {}
    // Model text parts (TEXT modality); thought summaries are not delivered.
    virtual void on_text(TurnId /*turn*/, const std::string& /*text*/) {}
    virtual void on_input_transcription(const Transcript& /*transcript*/) {}
    virtual void on_output_transcription(TurnId /*turn*/, const Transcript& /*transcript*/) {}
    // The model finished generating this turn (playback may still be going on).
    virtual void on_generation_complete(TurnId /*turn*/) {}
    virtual void on_turn_complete(const TurnComplete& /*complete*/) {}
    // The user barged in: drop what is queued for `turn`.
    virtual void on_interrupted(TurnId /*turn*/) {}
    // Answer with LiveSession::send_tool_response, with the calls' ids.
    virtual void on_tool_call(const std::vector<protocol::FunctionCall>& /*calls*/) {}
    virtual void on_tool_call_cancellation(const std::vector<std::string>& /*ids*/) {}
    // usageMetadata that came without a turnComplete.
    virtual void on_usage(const protocol::UsageMetadata& /*usage*/) {}
    // The server will close the connection in `time_left`; reconnect() with the latest handle.
    virtual void on_go_away(std::chrono::milliseconds /*time_left*/) {}
    // sessionResumptionUpdate; `handle` is empty while resuming is not possible.
    virtual void on_resumption_update(const std::string& /*handle*/, bool /*resumable*/) {}
    // The server's voice activity signal (voiceActivity / voiceActivityDetectionSignal).
    virtual void on_voice_activity(protocol::VoiceActivityType /*type*/,
                                   std::optional<std::chrono::nanoseconds> /*audio_offset*/) {}
    // The session is opening a new connection by itself (goAway or a lost connection). Sends
    // are kept meanwhile (bounded by max_pending_audio). on_resumed or on_closed follows.
    virtual void on_reconnecting(const Reconnecting& /*reconnecting*/) {}
    // The new connection is set up and carries the session on (its history kept by the server);
    // on_setup_complete does not come again for it.
    virtual void on_resumed(const Resumed& /*resumed*/) {}
    // Final: the session ended (or could not start). No event follows, unless connect() or
    // reconnect() is called again.
    virtual void on_closed(const SessionClosed& /*closed*/) {}
};

}  // namespace parley::session
