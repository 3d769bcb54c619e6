// SPDX-License-Identifier: Apache-2.0
#include "session/live_session.hpp"

#include <atomic>
#include <future>
#include <mutex>
#include <utility>

#include "base/log.hpp"
#include "protocol/audio.hpp"
#include "protocol/codec.hpp"
#include "session/error.hpp"
#include "session/outgoing_queue.hpp"
#include "session/setup_builder.hpp"
#include "transport/ws_client.hpp"
#include "transport/ws_connection.hpp"

namespace parley::session {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kInputSamplesPerMs = protocol::kInputRateHz / 1000;
// Audio is coalesced into realtimeInput messages of at most 100 ms (LIVE_PROTOCOL.md §6).
constexpr std::size_t kChunkSamples = 100 * kInputSamplesPerMs;
// Bytes we let wait in the WebSocket's own write queue (about 350 ms of encoded audio); the rest
// waits in the OutgoingQueue, where the bound and the drop counter apply.
constexpr std::size_t kWriteWindowBytes = 16 * 1024;
// How long the destructor waits for the close handshake of an open connection.
constexpr milliseconds kDrainTimeout{1000};
// How soon a backed-up send queue is looked at again.
constexpr milliseconds kPumpRetry{10};

std::size_t bound_samples(milliseconds max_pending) {
    return static_cast<std::size_t>(std::max<std::int64_t>(max_pending.count(), 1)) *
           kInputSamplesPerMs;
}

// Runs `fn` on the loop's io thread and waits for it; inline when already there or when the loop
// is not running (then nothing else runs on io either).
void run_on_io_and_wait(transport::EventLoop& loop, std::function<void()> fn) {
    if (loop.in_loop_thread() || !loop.running()) {
        fn();
        return;
    }
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    auto shared_fn = std::make_shared<std::function<void()>>(std::move(fn));
    auto ran = std::make_shared<std::atomic<bool>>(false);
    loop.post([done, shared_fn, ran] {
        if (!ran->exchange(true))
            (*shared_fn)();
        done->set_value();
    });
    while (future.wait_for(milliseconds(20)) != std::future_status::ready) {
        if (!loop.running()) {
            if (!ran->exchange(true))
                (*shared_fn)();
            return;
        }
    }
}

std::string describe_close(std::uint16_t code, const std::string& reason) {
    std::string text = "the server closed the session: " + std::to_string(code);
    if (code == transport::kCloseNoStatus)
        text += " (no status code)";
    text += reason.empty() ? " (no reason given)" : " " + reason;
    return text;
}

}  // namespace

struct LiveSession::Core : std::enable_shared_from_this<Core> {
    Core(LiveSessionSink& sink_in, transport::EventLoop& loop_in)
        : loop(loop_in), queue(bound_samples(milliseconds(2000)), kChunkSamples), sink(&sink_in) {}

    // ---- any thread ----
    transport::EventLoop& loop;
    std::atomic<SessionState> state{SessionState::kIdle};
    std::atomic<bool> configured{false};
    std::atomic<bool> pump_pending{false};
    OutgoingQueue queue;
    mutable std::mutex handle_mutex;
    std::string handle;  // guarded by handle_mutex
    std::atomic<std::uint64_t> audio_sent_samples{0};
    std::atomic<std::uint64_t> audio_received_us{0};
    std::atomic<std::uint64_t> messages_received{0};
    std::atomic<std::uint64_t> messages_ignored{0};
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> drops_reported{0};  // dropped samples already logged

    // ---- io only ----
    LiveSessionSink* sink;  // null once the LiveSession is gone
    LiveSessionConfig config;
    Environment environment;
    Endpoint endpoint;
    std::unique_ptr<transport::WsConnection> connection;
    std::uint64_t generation = 0;  // bumps per connection attempt; stale callbacks compare it
    transport::TimerHandle setup_timer;
    std::shared_ptr<std::promise<void>> on_drained;  // set by detach()
    bool detached = false;
    TurnId turn = 0;
    bool turn_open = false;        // model output now belongs to `turn`
    bool turn_unfinished = false;  // `turn` has had no turnComplete yet

    std::string current_handle() const {
        std::lock_guard lock(handle_mutex);
        return handle;
    }

    // Wakes the pump on io (once, however many sends ask).
    void request_pump() {
        if (pump_pending.exchange(true))
            return;
        loop.post([weak = weak_from_this()] {
            if (auto self = weak.lock())
                self->pump();
        });
    }

    // io: hands queued sends to the WebSocket while its own queue is short.
    void pump(bool flush_all = false) {
        pump_pending = false;
        if (state != SessionState::kOpen || !connection || !connection->is_open())
            return;
        while (flush_all || connection->queued_bytes() < kWriteWindowBytes) {
            auto item = queue.pop();
            if (!item)
                return;
            if (item->is_audio) {
                audio_sent_samples += item->samples.size();
                connection->send_text(protocol::encode_audio_input(item->samples));
            } else {
                connection->send_text(std::move(item->message));
            }
        }
        if (!pump_pending.exchange(true)) {
            loop.schedule(kPumpRetry, [weak = weak_from_this()] {
                if (auto self = weak.lock())
                    self->pump();
            });
        }
    }

    void report_drops() {
        const auto dropped = queue.dropped_samples();
        auto reported = drops_reported.load();
        // Never silent, never a flood: a line at the first drop, then each time the total
        // doubles and grew by at least a second (the UI shows the exact count from stats()).
        if (reported == 0 ||
            dropped >= std::max(2 * reported, reported + 1000 * kInputSamplesPerMs)) {
            if (drops_reported.compare_exchange_strong(reported, dropped)) {
                log::warn(
                    "session: the send queue is full: dropped the oldest {} ms of microphone "
                    "audio so far (the network is slower than real time)",
                    dropped / kInputSamplesPerMs);
            }
        }
    }

    // io: opens a connection to `endpoint` and sends setup.
    void open() {
        const auto gen = ++generation;
        state = SessionState::kConnecting;
        setup_timer.cancel();
        turn_open = false;
        turn_unfinished = false;
        transport::WsClientOptions options;
        options.connect_timeout = config.connection.connect_timeout;
        options.handshake_timeout = config.connection.connect_timeout;
        options.ca_file = config.connection.ca_file;
        options.resolve_override = config.connection.resolve_override;
        log::debug("session: connecting to {} ({})", endpoint.display_url, endpoint.model);
        transport::connect_ws(
            loop, endpoint.url, endpoint.headers, options,
            [weak = weak_from_this(), gen](Result<std::unique_ptr<transport::WsConnection>> r) {
                if (auto self = weak.lock())
                    self->on_connected(gen, std::move(r));
            });
    }

    void on_connected(std::uint64_t gen, Result<std::unique_ptr<transport::WsConnection>> result) {
        if (gen != generation || state != SessionState::kConnecting)
            return;
        if (!result) {
            // The transport's text already names the step and host ("connecting to H: ...");
            // keep one mention of the host.
            std::string detail = log::redact(result.error().message());
            const std::string step = "connecting to " + endpoint.host + ": ";
            if (detail.starts_with(step))
                detail.erase(0, step.size());
            finish({.error = result.error(),
                    .close_code = 0,
                    .reason = {},
                    .message = "cannot connect to " + endpoint.host + ": " + detail});
            return;
        }
        connection = std::move(*result);
        transport::WsHandlers handlers;
        auto weak = weak_from_this();
        handlers.on_message = [weak, gen](transport::MessageKind, std::string payload) {
            if (auto self = weak.lock(); self && self->generation == gen)
                self->on_payload(payload);
        };
        handlers.on_close = [weak, gen](const transport::CloseInfo& info) {
            if (auto self = weak.lock(); self && self->generation == gen)
                self->on_peer_close(info);
        };
        handlers.on_error = [weak, gen](std::error_code ec) {
            if (auto self = weak.lock(); self && self->generation == gen)
                self->on_lost(ec);
        };
        connection->start(std::move(handlers));
        connection->send_text(
            protocol::encode_client_message(make_setup(config, endpoint.model, current_handle())));
        setup_timer = loop.schedule(config.connection.setup_timeout, [weak, gen] {
            auto self = weak.lock();
            if (!self || self->generation != gen || self->state != SessionState::kConnecting)
                return;
            const auto seconds =
                static_cast<double>(self->config.connection.setup_timeout.count()) / 1000.0;
            self->finish({.error = make_error_code(SessionError::kSetupTimeout),
                          .close_code = 0,
                          .reason = {},
                          .message = fmt::format("the server at {} did not answer setup within "
                                                 "{:g} s (is this a Live API endpoint?)",
                                                 self->endpoint.host, seconds)});
        });
    }

    void on_peer_close(const transport::CloseInfo& info) {
        if (detached) {  // the peer answered our close frame
            finish({.error = {}, .close_code = info.code, .reason = {}, .message = "closed"});
            return;
        }
        const auto reason = log::redact(info.reason);
        const auto error = info.code == transport::kCloseInternalError
                               ? make_error_code(SessionError::kServerError)
                               : make_error_code(SessionError::kClosedByServer);
        finish({.error = error,
                .close_code = info.code,
                .reason = reason,
                .message = describe_close(info.code, reason)});
    }

    void on_lost(std::error_code ec) {
        finish({.error = make_error_code(SessionError::kConnectionLost),
                .close_code = 0,
                .reason = {},
                .message =
                    "lost the connection to " + endpoint.host + ": " + log::redact(ec.message())});
    }

    // io: the session ends; the sink hears it once.
    void finish(SessionClosed closed) {
        ++generation;
        state = SessionState::kClosed;
        setup_timer.cancel();
        queue.clear();
        turn_open = false;
        turn_unfinished = false;
        if (connection) {
            if (connection->is_open())
                connection->close(transport::kCloseNormal, "");
            connection.reset();
        }
        if (on_drained) {
            on_drained->set_value();
            on_drained.reset();
        }
        if (closed.error) {
            log::info("session: {}", closed.message);
        } else {
            log::debug("session: {}", closed.message);
        }
        if (sink)
            sink->on_closed(closed);
    }

    // io: the client ends the session; what was queued is sent before the close frame.
    void close_by_client() {
        if (state != SessionState::kConnecting && state != SessionState::kOpen)
            return;
        pump(/*flush_all=*/true);
        finish({.error = {},
                .close_code = transport::kCloseNormal,
                .reason = {},
                .message = "the session was closed by the client"});
    }

    // io: the owner is going away; no sink call after this. An open connection is closed
    // (1000) and `drained` is set once the close handshake ended (finish() runs then).
    void detach(std::shared_ptr<std::promise<void>> drained) {
        sink = nullptr;
        detached = true;
        setup_timer.cancel();
        state = SessionState::kClosed;
        if (connection && connection->is_open()) {
            connection->close(transport::kCloseNormal, "");
            on_drained = std::move(drained);
            return;
        }
        ++generation;
        connection.reset();
        drained->set_value();
    }

    // ---- server messages (io) ----

    void on_payload(const std::string& payload) {
        ++messages_received;
        auto decoded = protocol::decode_server_message(payload);
        if (!decoded) {
            ++messages_ignored;
            log::warn("session: ignored a server message that could not be decoded: {}",
                      decoded.error().message);
            return;
        }
        dispatch(*decoded);
    }

    TurnId model_output() {
        if (!turn_open) {
            ++turn;
            turn_open = true;
            turn_unfinished = true;
        }
        return turn;
    }

    void dispatch(const protocol::ServerMessage& message) {
        if (message.setup_complete) {
            if (state == SessionState::kConnecting) {
                state = SessionState::kOpen;
                setup_timer.cancel();
                ++connections;
                log::info("session: open ({} at {})", endpoint.model, endpoint.host);
                if (sink)
                    sink->on_setup_complete(*message.setup_complete);
                request_pump();
            }
        }
        // Events below may arrive after the sink closed the session from a handler above.
        if (message.voice_activity && sink && message.voice_activity->voice_activity_type) {
            sink->on_voice_activity(*message.voice_activity->voice_activity_type,
                                    message.voice_activity->audio_offset);
        }
        if (message.voice_activity_detection_signal && sink) {
            const auto signal = message.voice_activity_detection_signal->vad_signal_type;
            if (signal == protocol::VadSignalType::kStartOfSpeech) {
                sink->on_voice_activity(protocol::VoiceActivityType::kActivityStart, std::nullopt);
            } else if (signal == protocol::VadSignalType::kEndOfSpeech) {
                sink->on_voice_activity(protocol::VoiceActivityType::kActivityEnd, std::nullopt);
            }
        }
        bool usage_delivered = false;
        if (message.server_content) {
            usage_delivered = dispatch_content(*message.server_content, message.usage_metadata);
        }
        if (message.tool_call) {
            model_output();
            if (sink)
                sink->on_tool_call(message.tool_call->function_calls);
        }
        if (message.tool_call_cancellation && sink) {
            sink->on_tool_call_cancellation(message.tool_call_cancellation->ids);
        }
        if (message.usage_metadata && !usage_delivered && sink) {
            sink->on_usage(*message.usage_metadata);
        }
        if (message.go_away) {
            const auto left = std::chrono::duration_cast<milliseconds>(
                message.go_away->time_left.value_or(protocol::Duration{0}));
            log::info("session: the server will close the connection in {} ms (goAway)",
                      left.count());
            if (sink)
                sink->on_go_away(left);
        }
        if (message.session_resumption_update) {
            const auto& update = *message.session_resumption_update;
            const bool resumable = update.resumable.value_or(false);
            const std::string new_handle = update.new_handle.value_or("");
            if (resumable && !new_handle.empty()) {
                std::lock_guard lock(handle_mutex);
                handle = new_handle;
            }
            if (sink)
                sink->on_resumption_update(new_handle, resumable);
        }
    }

    // Returns true when `usage` went out with a turnComplete.
    bool dispatch_content(const protocol::ServerContent& content,
                          const std::optional<protocol::UsageMetadata>& usage) {
        if (content.model_turn) {
            for (const auto& part : content.model_turn->parts) {
                if (part.thought.value_or(false))
                    continue;
                if (part.inline_data && part.inline_data->mime_type.starts_with("audio/")) {
                    AudioChunk chunk;
                    chunk.turn = model_output();
                    chunk.rate_hz = protocol::pcm_rate_hz(part.inline_data->mime_type);
                    chunk.samples = protocol::pcm16_samples(part.inline_data->data);
                    audio_received_us += chunk.samples.size() * 1'000'000 /
                                         static_cast<std::uint64_t>(chunk.rate_hz);
                    if (sink)
                        sink->on_audio(std::move(chunk));
                } else if (part.text && !part.text->empty()) {
                    const TurnId id = model_output();
                    if (sink)
                        sink->on_text(id, *part.text);
                }
            }
        }
        if (content.input_transcription && content.input_transcription->text && sink) {
            sink->on_input_transcription({*content.input_transcription->text,
                                          content.input_transcription->finished.value_or(false)});
        }
        if (content.output_transcription && content.output_transcription->text) {
            const TurnId id = model_output();
            if (sink) {
                sink->on_output_transcription(
                    id, {*content.output_transcription->text,
                         content.output_transcription->finished.value_or(false)});
            }
        }
        if (content.generation_complete.value_or(false)) {
            const TurnId id = model_output();
            if (sink)
                sink->on_generation_complete(id);
        }
        if (content.interrupted.value_or(false)) {
            const TurnId id = turn_unfinished ? turn : 0;
            turn_open = false;
            if (sink)
                sink->on_interrupted(id);
        }
        if (content.turn_complete.value_or(false)) {
            TurnComplete complete;
            complete.turn = turn_unfinished ? turn : 0;
            complete.usage = usage;
            complete.reason = content.turn_complete_reason;
            complete.waiting_for_input = content.waiting_for_input.value_or(false);
            turn_open = false;
            turn_unfinished = false;
            if (sink)
                sink->on_turn_complete(complete);
            return true;
        }
        return false;
    }
};

// ---- LiveSession ----

LiveSession::LiveSession(LiveSessionSink& sink, transport::EventLoop* loop) : loop_(loop) {
    if (loop_ == nullptr) {
        own_loop_ = std::make_unique<transport::EventLoop>();
        loop_ = own_loop_.get();
    }
    loop_->start();
    core_ = std::make_shared<Core>(sink, *loop_);
}

LiveSession::~LiveSession() {
    auto core = core_;
    auto drained = std::make_shared<std::promise<void>>();
    auto future = drained->get_future();
    run_on_io_and_wait(*loop_, [core, drained] { core->detach(drained); });
    // Let the close frame go out before the loop stops (bounded: the peer may not answer).
    if (loop_->running() && !loop_->in_loop_thread())
        future.wait_for(kDrainTimeout);
    if (own_loop_)
        own_loop_->stop();
}

Status LiveSession::connect(LiveSessionConfig config) {
    return connect(std::move(config), Environment::from_process());
}

Status LiveSession::connect(LiveSessionConfig config, const Environment& environment) {
    if (config.max_pending_audio.count() <= 0 || config.connection.setup_timeout.count() <= 0 ||
        config.connection.connect_timeout.count() <= 0) {
        return fail(SessionError::kInvalidConfig);
    }
    LiveSessionConfig resolved_config = config;
    if (config.connection.token_provider && config.connection.access_token.empty()) {
        auto token = config.connection.token_provider->access_token();
        if (!token) {
            log::info("session: the token provider failed: {}",
                      log::redact(token.error().message()));
            return fail(SessionError::kTokenProviderFailed);
        }
        resolved_config.connection.access_token = std::move(*token);
    }
    auto endpoint = resolve_endpoint(resolved_config, environment);
    if (!endpoint)
        return fail(endpoint.error());

    auto expected = core_->state.load();
    do {
        if (expected == SessionState::kConnecting || expected == SessionState::kOpen) {
            return fail(SessionError::kAlreadyConnected);
        }
    } while (!core_->state.compare_exchange_weak(expected, SessionState::kConnecting));

    log::debug("session: Live API at {}; credential: {}", endpoint->display_url,
               endpoint->credential);
    core_->configured = true;
    core_->queue.set_max_audio_samples(bound_samples(config.max_pending_audio));
    {
        std::lock_guard lock(core_->handle_mutex);
        core_->handle = config.resumption.handle;
    }
    loop_->post([core = core_, config = std::move(config), environment,
                 endpoint = std::move(*endpoint)]() mutable {
        core->config = std::move(config);
        core->environment = std::move(environment);
        core->endpoint = std::move(endpoint);
        if (core->sink)
            core->open();
    });
    return {};
}

Status LiveSession::reconnect() {
    if (!core_->configured)
        return fail(SessionError::kNotConnected);
    core_->state = SessionState::kConnecting;
    loop_->post([core = core_] {
        if (!core->sink)
            return;
        if (core->connection) {
            // Bump first so the old connection's close is not reported as the session's end.
            ++core->generation;
            if (core->connection->is_open()) {
                core->connection->close(transport::kCloseNormal, "reconnecting");
            }
            core->connection.reset();
        }
        auto config = core->config;
        if (config.connection.token_provider && config.connection.access_token.empty()) {
            auto token = config.connection.token_provider->access_token();
            if (!token) {
                core->finish(
                    {.error = make_error_code(SessionError::kTokenProviderFailed),
                     .close_code = 0,
                     .reason = {},
                     .message = "cannot reconnect: " +
                                make_error_code(SessionError::kTokenProviderFailed).message()});
                return;
            }
            config.connection.access_token = std::move(*token);
            auto endpoint = resolve_endpoint(config, core->environment);
            if (!endpoint) {
                core->finish({.error = endpoint.error(),
                              .close_code = 0,
                              .reason = {},
                              .message = "cannot reconnect: " + endpoint.error().message()});
                return;
            }
            core->endpoint = std::move(*endpoint);
        }
        log::info("session: reconnecting{}",
                  core->current_handle().empty() ? "" : " with the resumption handle");
        core->open();
    });
    return {};
}

void LiveSession::send_audio(std::span<const std::int16_t> pcm_16k) {
    if (pcm_16k.empty() || core_->state == SessionState::kClosed)
        return;
    if (core_->queue.push_audio(pcm_16k) > 0)
        core_->report_drops();
    if (core_->state == SessionState::kOpen)
        core_->request_pump();
}

namespace {

std::string encode_realtime(protocol::RealtimeInput input) {
    return protocol::encode_client_message(input);
}

}  // namespace

void LiveSession::send_video(std::vector<std::uint8_t> jpeg) {
    if (core_->state == SessionState::kClosed)
        return;
    protocol::Blob blob{.data = std::move(jpeg), .mime_type = "image/jpeg"};
    core_->queue.push_message(encode_realtime({protocol::VideoInput{std::move(blob)}}));
    if (core_->state == SessionState::kOpen)
        core_->request_pump();
}

void LiveSession::send_text(std::string text) {
    if (core_->state == SessionState::kClosed)
        return;
    protocol::ClientContent content;
    content.turns = std::vector{protocol::text_content(std::move(text))};
    content.turn_complete = true;
    core_->queue.push_message(protocol::encode_client_message(content));
    if (core_->state == SessionState::kOpen)
        core_->request_pump();
}

void LiveSession::send_realtime_text(std::string text) {
    if (core_->state == SessionState::kClosed)
        return;
    core_->queue.push_message(encode_realtime({protocol::TextInput{std::move(text)}}));
    if (core_->state == SessionState::kOpen)
        core_->request_pump();
}

void LiveSession::activity_start() {
    if (core_->state == SessionState::kClosed)
        return;
    core_->queue.push_message(encode_realtime({protocol::ActivityStart{}}));
    if (core_->state == SessionState::kOpen)
        core_->request_pump();
}

void LiveSession::activity_end() {
    if (core_->state == SessionState::kClosed)
        return;
    core_->queue.push_message(encode_realtime({protocol::ActivityEnd{}}));
    if (core_->state == SessionState::kOpen)
        core_->request_pump();
}

void LiveSession::audio_stream_end() {
    if (core_->state == SessionState::kClosed)
        return;
    core_->queue.push_message(encode_realtime({protocol::AudioStreamEnd{}}));
    if (core_->state == SessionState::kOpen)
        core_->request_pump();
}

void LiveSession::send_tool_response(std::vector<protocol::FunctionResponse> responses) {
    if (core_->state == SessionState::kClosed)
        return;
    protocol::ToolResponse response;
    response.function_responses = std::move(responses);
    core_->queue.push_message(protocol::encode_client_message(response));
    if (core_->state == SessionState::kOpen)
        core_->request_pump();
}

void LiveSession::close() {
    loop_->post([weak = std::weak_ptr<Core>(core_)] {
        if (auto core = weak.lock())
            core->close_by_client();
    });
}

SessionState LiveSession::state() const {
    return core_->state.load();
}

std::string LiveSession::resumption_handle() const {
    return core_->current_handle();
}

SessionStats LiveSession::stats() const {
    SessionStats stats;
    stats.audio_sent_ms = core_->audio_sent_samples.load() / kInputSamplesPerMs;
    stats.audio_dropped_ms = core_->queue.dropped_samples() / kInputSamplesPerMs;
    stats.audio_pending_ms = core_->queue.pending_audio_samples() / kInputSamplesPerMs;
    stats.audio_received_ms = core_->audio_received_us.load() / 1000;
    stats.messages_received = core_->messages_received.load();
    stats.messages_ignored = core_->messages_ignored.load();
    stats.connections = core_->connections.load();
    return stats;
}

}  // namespace parley::session
