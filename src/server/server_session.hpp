// SPDX-License-Identifier: Apache-2.0
// ServerSession: one Live API connection of the local server, the state machine of
// LIVE_PROTOCOL.md §3: setup, then the user's audio and text in, the model's turns out, with
// barge-in by the server's playback clock, tool calls, resumption and goAway. Lives on io; the
// listening half (UserInput) and reply generation run on two WorkQueues of the work pool, so a
// long synthesis never delays hearing a barge-in. LiveServer owns sessions until they finish.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/client_message.hpp"
#include "protocol/server_message.hpp"
#include "server/brain.hpp"
#include "server/playback_clock.hpp"
#include "server/recognizer.hpp"
#include "server/reply_generator.hpp"
#include "server/server_options.hpp"
#include "server/session_store.hpp"
#include "server/synthesizer.hpp"
#include "server/user_input.hpp"
#include "server/work_pool.hpp"
#include "transport/event_loop.hpp"
#include "transport/ws_connection.hpp"

namespace parley::server {

// What every session of one server shares. All outlive the sessions.
struct SessionEngines {
    transport::EventLoop& loop;
    WorkPool& pool;
    Brain& brain;
    const Synthesizer* synthesizer;  // null: no speech
    RecognizerPool* recognizer;      // null: no speech
    SessionStore& store;             // io only
    const ServerOptions& options;
};

class ServerSession : public std::enable_shared_from_this<ServerSession> {
public:
    ServerSession(std::uint64_t id, SessionEngines engines,
                  std::unique_ptr<transport::WsConnection> connection, std::string api_version);
    ~ServerSession();

    // Starts reading; `on_finished` runs on io once the connection is over. io only.
    void start(std::function<void()> on_finished);
    // Closes the connection (server shutting down). io only.
    // Sends goAway with `time_left` now and closes with 1008 when it has passed (what the
    // connection lifetime does at its end). io.
    void go_away(std::chrono::milliseconds time_left);
    void close(std::uint16_t code, const std::string& reason);

private:
    struct ModelTurn;
    class ReplyRelay;

    void on_message(std::string payload);
    void on_setup(protocol::Setup setup);
    void on_realtime_input(protocol::RealtimeInput input);
    void on_audio(const protocol::Blob& blob);
    void on_client_content(protocol::ClientContent content);
    void on_tool_response(protocol::ToolResponse response);

    void on_speech_start(std::chrono::milliseconds offset);
    void on_user_turn(UserTurn turn);
    void on_user_text(std::string text, std::optional<UserTurn> spoken);

    void start_reply(std::chrono::steady_clock::time_point user_end);
    // Asks the brain for the current turn's next reply, on the output queue.
    void generate();
    void on_sentence(std::uint64_t turn, std::size_t index, std::string text,
                     std::vector<int16_t> pcm);
    void on_tool_call(std::uint64_t turn, ToolCall call);
    void on_reply_done(std::uint64_t turn, Status status);
    void complete_turn();
    void interrupt(const char* why);
    [[nodiscard]] std::string played_text(std::chrono::steady_clock::time_point at) const;

    void send(const protocol::ServerMessage& message);
    // Closes the session (1011) when what it holds passes options.max_session_memory_bytes.
    // True if it did.
    bool check_memory();
    // `fresh_handle`: issue a new handle (turn boundaries, setup); else repeat the last one (an
    // acknowledgement of consumed messages only).
    void send_resumption_update(bool fresh_handle = true);
    // A resumed connection picks up what the session owes the user (turns heard meanwhile, a
    // reply the lost connection cut short).
    void take_over();
    // Resumed with a handle issued before the last reply's turnComplete: answers it again.
    void owe_reply_whose_end_was_lost();
    // Drops the model turn in progress because another connection resumed the session; that
    // one answers again (reply_owed).
    void hand_over_turn();
    // Transparent resumption: numbers the client message just received; true when an earlier
    // connection already consumed it (a resend), so it is skipped.
    bool already_consumed();
    // Creates the session's listening half, or reuses a resumed session's. False on failure.
    bool attach_input(const UserInputConfig& config);
    void schedule_go_away();
    void fail(std::uint16_t code, const std::string& reason);
    void finish();
    // Runs `fn` on io later if this session still exists then. Any thread.
    void post_to_io(std::function<void(ServerSession&)> fn);

    std::uint64_t id_;
    SessionEngines engines_;
    std::unique_ptr<transport::WsConnection> connection_;
    std::string api_version_;
    std::function<void()> on_finished_;
    bool finished_ = false;

    bool set_up_ = false;
    protocol::Setup setup_;
    bool audio_out_ = true;
    bool input_transcription_ = false;
    bool output_transcription_ = false;
    bool resumable_ = false;
    bool interrupts_ = true;  // activityHandling START_OF_ACTIVITY_INTERRUPTS
    bool automatic_activity_ = true;
    FliteVoice voice_ = kDefaultFliteVoice;
    std::string system_instruction_;
    std::vector<ToolDeclaration> tools_;
    std::shared_ptr<SessionState> state_;

    std::shared_ptr<WorkQueue> input_queue_;
    std::shared_ptr<WorkQueue> output_queue_;
    std::shared_ptr<UserInput> input_;  // used only on input_queue_
    int input_rate_hz_ = 16000;

    std::unique_ptr<ModelTurn> turn_;
    std::uint64_t turns_started_ = 0;
    std::optional<std::string> queued_user_text_;  // NO_INTERRUPTION: answered after this turn
    std::uint64_t tool_calls_made_ = 0;
    double input_audio_seconds_ = 0;
    // Received audio not yet listened to (decremented on input_queue_), and the text the client
    // put into the history: what check_memory() bounds besides the unsent replies.
    std::shared_ptr<std::atomic<std::size_t>> unheard_audio_bytes_ =
        std::make_shared<std::atomic<std::size_t>>(0);
    std::size_t client_text_bytes_ = 0;
    // Transparent resumption: the session-wide number of the next client message on this
    // connection (duplicates of consumed ones are skipped), and what was last acknowledged.
    bool transparent_ = false;
    std::int64_t next_message_index_ = 0;
    std::int64_t acknowledged_messages_ = 0;
    std::string last_handle_;
    transport::TimerHandle go_away_timer_;
    transport::TimerHandle deadline_timer_;
    bool go_away_sent_ = false;
};

}  // namespace parley::server
