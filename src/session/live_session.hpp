// SPDX-License-Identifier: Apache-2.0
// LiveSession: one client session of the Gemini Live API (BidiGenerateContent) or a compatible
// server: connects, sends setup, waits for setupComplete, sends audio / video / text / activity /
// tool responses, and turns every server message into a typed event for one LiveSessionSink.
// Tracks model turns (TurnId) and the latest resumption handle; on goAway it switches to a new
// connection without a gap, and after a lost connection it reconnects with backoff and resends
// what the server did not get (LiveSessionConfig::reconnect); reconnect() does it on demand.
// Runs on one io EventLoop (its own, or the caller's); send methods are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "protocol/content.hpp"
#include "session/endpoint.hpp"
#include "session/live_session_config.hpp"
#include "session/live_session_sink.hpp"
#include "transport/event_loop.hpp"

namespace parley::session {

enum class SessionState {
    kIdle,        // never connected
    kConnecting,  // connecting, or waiting for setupComplete
    kOpen,        // setupComplete received
    kClosed,      // ended (see the sink's on_closed)
};

// Counters a UI can show; read with LiveSession::stats() from any thread.
struct SessionStats {
    std::uint64_t audio_sent_ms = 0;      // 16 kHz audio handed to the WebSocket
    std::uint64_t audio_dropped_ms = 0;   // audio dropped because the send bound was exceeded
    std::uint64_t audio_pending_ms = 0;   // audio waiting to be sent now
    std::uint64_t audio_received_ms = 0;  // model audio received
    std::uint64_t messages_received = 0;
    std::uint64_t messages_ignored = 0;  // server messages that could not be decoded
    std::uint64_t connections = 0;       // connections opened (reconnects included)
    std::uint64_t reconnects = 0;        // automatic resumes (goAway switch-overs + drops)
    std::uint64_t go_away_switches = 0;  // of which switch-overs after goAway
    std::uint64_t last_gap_ms = 0;       // the latest resume's gap (see Resumed::gap)
    std::uint64_t audio_resent_ms = 0;   // unacknowledged audio sent again after resumes
    std::uint64_t audio_lost_ms = 0;     // unacknowledged audio that could not be resent
    bool reconnecting = false;           // a new connection is being opened now
};

class LiveSession {
public:
    // `sink` receives every event, on io; it must outlive the session. `loop`: the io loop to
    // run on (started here if it is not running), or nullptr for a loop of the session's own.
    explicit LiveSession(LiveSessionSink& sink, transport::EventLoop* loop = nullptr);
    // Closes the connection (1000) and detaches: no sink method runs after it returns. Must not
    // be called on io from inside a sink method of this session.
    ~LiveSession();
    LiveSession(const LiveSession&) = delete;
    LiveSession& operator=(const LiveSession&) = delete;

    // Starts a session: resolves the endpoint (config + environment, see endpoint.hpp), asks the
    // token provider for Vertex, then connects, sends setup and waits for setupComplete, all on
    // io. Vertex AI with no access token, token provider or API key uses Application Default
    // Credentials (apply_default_credentials(): GOOGLE_APPLICATION_CREDENTIALS or gcloud's file);
    // the first token is fetched here (blocking, bounded by connect_timeout), and each reconnect
    // asks the provider again, which refreshes ahead of expiry. Configuration errors come back
    // here (kNoApiKey, kInvalidUrl, ...; kAlreadyConnected; a CredentialsError naming the
    // credentials tried and the token endpoint's answer); everything later arrives as
    // on_setup_complete or on_closed. Any thread. Sends made before setupComplete are queued.
    // After close(), wait for on_closed before connecting again.
    [[nodiscard]] Status connect(LiveSessionConfig config);
    [[nodiscard]] Status connect(LiveSessionConfig config, const Environment& environment);

    // Opens a new connection for the same session with the latest resumption handle (after a
    // goAway or a lost connection), replacing the current one; the queued sends carry over.
    // on_setup_complete follows, or on_closed. Errors: kNotConnected before connect().
    [[nodiscard]] Status reconnect();

    // PCM16 mono at 16 kHz, any length (20-100 ms is best); coalesced into chunks of up to
    // 100 ms. Any thread; never blocks. While waiting to be sent, audio is bounded by
    // config.max_pending_audio: the oldest is dropped and counted in stats().
    void send_audio(std::span<const std::int16_t> pcm_16k);
    // One image frame (JPEG) as realtimeInput video. Any thread.
    void send_video(std::vector<std::uint8_t> jpeg);
    // A typed user turn: clientContent with turnComplete true (interrupts the model). Any thread.
    void send_text(std::string text);
    // Text as realtimeInput (processed like speech, in the stream). Any thread.
    void send_realtime_text(std::string text);
    // Manual activity detection (config.activity_detection.disabled): bracket the user's speech.
    void activity_start();
    void activity_end();
    // The microphone paused for a while (automatic detection only): flush the server's buffer.
    void audio_stream_end();
    // Answers to on_tool_call, each with the call's id and name. Any thread.
    void send_tool_response(std::vector<protocol::FunctionResponse> responses);
    // Ends the session (close frame 1000); on_closed follows with an empty error. Any thread;
    // a no-op when not connecting or open.
    void close();

    [[nodiscard]] SessionState state() const;
    // The latest resumable handle (from sessionResumptionUpdate with resumable true, or the
    // config's), empty if none. Any thread.
    [[nodiscard]] std::string resumption_handle() const;
    [[nodiscard]] SessionStats stats() const;

    struct Core;

private:
    std::unique_ptr<transport::EventLoop> own_loop_;
    transport::EventLoop* loop_;
    std::shared_ptr<Core> core_;  // shared with io callbacks, which hold it weakly
};

}  // namespace parley::session
