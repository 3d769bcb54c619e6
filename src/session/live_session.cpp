// SPDX-License-Identifier: Apache-2.0
#include "session/live_session.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <utility>

#include "base/log.hpp"
#include "protocol/audio.hpp"
#include "protocol/codec.hpp"
#include "session/adc_token_provider.hpp"
#include "session/credentials_error.hpp"
#include "session/error.hpp"
#include "session/outgoing_queue.hpp"
#include "session/replay_buffer.hpp"
#include "session/setup_builder.hpp"
#include "transport/ws_client.hpp"
#include "transport/ws_connection.hpp"

namespace parley::session {
namespace {

using Clock = std::chrono::steady_clock;
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
// How long a resumed connection waits for the server's count of the messages it consumed
// (transparent resumption) before sending without resending anything.
constexpr milliseconds kAckTimeout{1000};

std::size_t bound_samples(milliseconds max_pending) {
    return static_cast<std::size_t>(std::max<std::int64_t>(max_pending.count(), 1)) *
           kInputSamplesPerMs;
}

// The error to report when a token provider gives no token. A credentials error (Application
// Default Credentials) is returned as is, naming the credentials tried: it holds no secret by
// construction. Anything else becomes kTokenProviderFailed, its own text (which may hold a
// secret) only redacted in a log line.
std::error_code token_failure(const TokenProvider& provider, const std::error_code& error) {
    if (credentials_error_kind(error) != CredentialsError{}) {
        if (const auto* adc = dynamic_cast<const AdcTokenProvider*>(&provider))
            return with_credentials_source(error, adc->source());
        return error;
    }
    log::info("session: the token provider failed: {}", log::redact(error.message()));
    return make_error_code(SessionError::kTokenProviderFailed);
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
        : loop(loop_in),
          queue(bound_samples(milliseconds(2000)), kChunkSamples),
          sink(&sink_in),
          replay(bound_samples(milliseconds(2000))) {}

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
    std::atomic<std::uint64_t> reconnects{0};
    std::atomic<std::uint64_t> go_away_switches{0};
    std::atomic<std::uint64_t> last_gap_ms{0};
    std::atomic<std::uint64_t> resent_samples{0};
    std::atomic<std::uint64_t> lost_samples{0};
    std::atomic<bool> reconnecting{false};

    // ---- io only ----
    LiveSessionSink* sink;  // null once the LiveSession is gone
    LiveSessionConfig config;
    Environment environment;
    Endpoint endpoint;
    // Every connection attempt gets an id; callbacks of any other connection are ignored.
    std::uint64_t next_id = 0;
    std::unique_ptr<transport::WsConnection> connection;  // the primary
    std::uint64_t generation = 0;                         // id of the primary
    transport::TimerHandle setup_timer;
    // goAway switch-over: the new connection, until its setupComplete makes it the primary.
    std::unique_ptr<transport::WsConnection> standby;
    std::uint64_t standby_id = 0;
    transport::TimerHandle standby_setup_timer;
    // Old primaries finishing their close handshake after a switch-over.
    std::vector<std::pair<std::uint64_t, std::unique_ptr<transport::WsConnection>>> retiring;
    std::shared_ptr<std::promise<void>> on_drained;  // set by detach()
    bool detached = false;
    TurnId turn = 0;
    bool turn_open = false;        // model output now belongs to `turn`
    bool turn_unfinished = false;  // `turn` has had no turnComplete yet

    // Transparent resumption: every client message after setup is numbered, and kept until the
    // server acknowledges it.
    bool transparent = false;
    std::int64_t next_index = 0;
    ReplayBuffer replay;
    bool awaiting_ack = false;  // a resumed connection: sends wait for the server's count
    transport::TimerHandle ack_timer;
    bool primary_resumed = false;  // the primary was opened with a resumption handle

    // Automatic reconnection.
    bool recovering = false;  // the primary was lost; attempts are under way
    bool manual_reconnect = false;
    ReconnectCause cause = ReconnectCause::kConnectionLost;
    int attempt = 0;
    Clock::time_point outage_start{};
    std::string last_failure;
    transport::TimerHandle retry_timer;
    bool go_away_pending = false;  // a switch-over is due
    bool go_away_seen = false;  // the primary got a goAway (its 1008 deadline close is not final)
    Clock::time_point go_away_deadline{};
    transport::TimerHandle go_away_timer;

    bool auto_reconnect() const { return config.reconnect.enabled && config.resumption.enabled; }

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

    // io: hands one encoded message to the primary, numbering and keeping it when transparent.
    void send_now(std::string message, std::size_t audio_samples) {
        if (transparent)
            replay.record(next_index++, message, audio_samples);
        connection->send_text(std::move(message));
    }

    // io: hands queued sends to the WebSocket while its own queue is short.
    void pump(bool flush_all = false) {
        pump_pending = false;
        if (state != SessionState::kOpen || awaiting_ack || !connection || !connection->is_open())
            return;
        while (flush_all || connection->queued_bytes() < kWriteWindowBytes) {
            auto item = queue.pop();
            if (!item)
                return;
            if (item->is_audio) {
                audio_sent_samples += item->samples.size();
                send_now(protocol::encode_audio_input(item->samples), item->samples.size());
            } else {
                send_now(std::move(item->message), 0);
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
                    "session: more than max_pending_audio ({} ms) of microphone audio waited to "
                    "be sent ({}): dropped the oldest {} ms so far; raise max_pending_audio to "
                    "keep more",
                    config_max_pending_ms.load(),
                    reconnecting ? "while reconnecting" : "the network is slower than real time",
                    dropped / kInputSamplesPerMs);
            }
        }
    }
    std::atomic<std::int64_t> config_max_pending_ms{2000};

    transport::WsClientOptions client_options() const {
        transport::WsClientOptions options;
        options.connect_timeout = config.connection.connect_timeout;
        options.handshake_timeout = config.connection.connect_timeout;
        options.ca_file = config.connection.ca_file;
        options.resolve_override = config.connection.resolve_override;
        return options;
    }

    // io: asks the token provider (Vertex AI with no fixed token) for the token the next
    // connection sends, so that a reconnect an hour later does not carry an expired one. An
    // AdcTokenProvider answers from its cache and refreshes ahead of expiry on its own thread.
    std::error_code refresh_credential() {
        const auto& provider = config.connection.token_provider;
        if (!provider || !config.connection.access_token.empty())
            return {};
        auto token = provider->access_token();
        if (!token)
            return token_failure(*provider, token.error());
        auto with_token = config;
        with_token.connection.access_token = std::move(*token);
        auto fresh = resolve_endpoint(with_token, environment);
        if (!fresh)
            return fresh.error();
        endpoint = std::move(*fresh);
        return {};
    }

    // io: opens the primary connection to `endpoint` and sends setup.
    void open() {
        const auto id = ++next_id;
        generation = id;
        state = SessionState::kConnecting;
        setup_timer.cancel();
        awaiting_ack = false;
        ack_timer.cancel();
        turn_open = false;
        turn_unfinished = false;
        if (const auto ec = refresh_credential()) {
            const auto message = "cannot connect to " + endpoint.host + ": " + ec.message();
            if (recovering) {
                last_failure = message;
                schedule_retry();
            } else {
                finish({.error = ec, .close_code = 0, .reason = {}, .message = message});
            }
            return;
        }
        log::debug("session: connecting to {} ({})", endpoint.display_url, endpoint.model);
        transport::connect_ws(
            loop, endpoint.url, endpoint.headers, client_options(),
            [weak = weak_from_this(), id](Result<std::unique_ptr<transport::WsConnection>> r) {
                if (auto self = weak.lock())
                    self->on_connected(id, std::move(r));
            });
    }

    // io: opens the standby connection of a goAway switch-over.
    void open_standby() {
        const auto id = ++next_id;
        standby_id = id;
        if (const auto ec = refresh_credential()) {
            drop_standby("cannot open a new connection to " + endpoint.host + ": " + ec.message());
            return;
        }
        transport::connect_ws(
            loop, endpoint.url, endpoint.headers, client_options(),
            [weak = weak_from_this(), id](Result<std::unique_ptr<transport::WsConnection>> r) {
                if (auto self = weak.lock())
                    self->on_connected(id, std::move(r));
            });
    }

    std::string connect_failure(const std::error_code& error) const {
        // The transport's text already names the step and host ("connecting to H: ...");
        // keep one mention of the host.
        std::string detail = log::redact(error.message());
        const std::string step = "connecting to " + endpoint.host + ": ";
        if (detail.starts_with(step))
            detail.erase(0, step.size());
        return "cannot connect to " + endpoint.host + ": " + detail;
    }

    void on_connected(std::uint64_t id, Result<std::unique_ptr<transport::WsConnection>> result) {
        const bool is_standby = id == standby_id && id != 0;
        if (!is_standby && (id != generation || state != SessionState::kConnecting))
            return;
        if (!result) {
            const auto message = connect_failure(result.error());
            if (is_standby) {
                drop_standby(message);
            } else if (recovering) {
                last_failure = message;
                schedule_retry();
            } else {
                finish(
                    {.error = result.error(), .close_code = 0, .reason = {}, .message = message});
            }
            return;
        }
        auto& slot = is_standby ? standby : connection;
        slot = std::move(*result);
        transport::WsHandlers handlers;
        auto weak = weak_from_this();
        handlers.on_message = [weak, id](transport::MessageKind, std::string payload) {
            if (auto self = weak.lock())
                self->on_payload(id, payload);
        };
        handlers.on_close = [weak, id](const transport::CloseInfo& info) {
            if (auto self = weak.lock())
                self->on_peer_close(id, info);
        };
        handlers.on_error = [weak, id](std::error_code ec) {
            if (auto self = weak.lock())
                self->on_lost(id, ec);
        };
        slot->start(std::move(handlers));
        const auto resume_handle = current_handle();
        if (!is_standby)
            primary_resumed = !resume_handle.empty();
        slot->send_text(
            protocol::encode_client_message(make_setup(config, endpoint.model, resume_handle)));
        auto& timer = is_standby ? standby_setup_timer : setup_timer;
        timer = loop.schedule(config.connection.setup_timeout, [weak, id] {
            if (auto self = weak.lock())
                self->on_setup_timeout(id);
        });
    }

    void on_setup_timeout(std::uint64_t id) {
        const auto seconds = static_cast<double>(config.connection.setup_timeout.count()) / 1000.0;
        const auto message = fmt::format(
            "the server at {} did not answer setup within {:g} s (is this a Live API endpoint?)",
            endpoint.host, seconds);
        if (id == standby_id && id != 0) {
            drop_standby(message);
            return;
        }
        if (id != generation || state != SessionState::kConnecting)
            return;
        if (recovering) {
            last_failure = message;
            connection.reset();
            schedule_retry();
            return;
        }
        finish({.error = make_error_code(SessionError::kSetupTimeout),
                .close_code = 0,
                .reason = {},
                .message = message});
    }

    // Close codes after which the same session cannot go on (LIVE_PROTOCOL.md §8): bad payload,
    // bad handle or key, a normal end by the server. 1008 after a goAway is the deadline passing.
    bool final_close(std::uint16_t code) const {
        switch (code) {
            case transport::kCloseGoingAway:
            case transport::kCloseNoStatus:
            case 1006:  // abnormal closure
            case transport::kCloseInternalError:
            case 1012:  // service restart
            case 1013:  // try again later
            case 1014:  // bad gateway
                return false;
            case transport::kClosePolicy:
                return !go_away_seen;
            default:
                return true;
        }
    }

    void on_peer_close(std::uint64_t id, const transport::CloseInfo& info) {
        if (forget_retiring(id))
            return;
        if (id == standby_id && id != 0) {
            drop_standby("the new connection was closed: " +
                         describe_close(info.code, log::redact(info.reason)));
            return;
        }
        if (id != generation)
            return;
        if (detached) {  // the peer answered our close frame
            finish({.error = {}, .close_code = info.code, .reason = {}, .message = "closed"});
            return;
        }
        const auto reason = log::redact(info.reason);
        const auto message = describe_close(info.code, reason);
        if (auto_reconnect() && !final_close(info.code) &&
            (state == SessionState::kOpen || recovering)) {
            connection_lost(message);
            return;
        }
        const auto error = info.code == transport::kCloseInternalError
                               ? make_error_code(SessionError::kServerError)
                               : make_error_code(SessionError::kClosedByServer);
        finish({.error = error, .close_code = info.code, .reason = reason, .message = message});
    }

    void on_lost(std::uint64_t id, std::error_code ec) {
        if (forget_retiring(id))
            return;
        const auto message =
            "lost the connection to " + endpoint.host + ": " + log::redact(ec.message());
        if (id == standby_id && id != 0) {
            drop_standby(message);
            return;
        }
        if (id != generation)
            return;
        if (auto_reconnect() && !detached && (state == SessionState::kOpen || recovering)) {
            connection_lost(message);
            return;
        }
        finish({.error = make_error_code(SessionError::kConnectionLost),
                .close_code = 0,
                .reason = {},
                .message = message});
    }

    // io: tells a detach() waiting for close handshakes that none is left.
    void settle_drained() {
        if (on_drained && !connection && retiring.empty()) {
            on_drained->set_value();
            on_drained.reset();
        }
    }

    bool forget_retiring(std::uint64_t id) {
        const auto it = std::find_if(retiring.begin(), retiring.end(),
                                     [id](const auto& entry) { return entry.first == id; });
        if (it == retiring.end())
            return false;
        // Not erased here: we are inside one of its handlers.
        loop.post([weak = weak_from_this(), id] {
            if (auto self = weak.lock()) {
                std::erase_if(self->retiring,
                              [id](const auto& entry) { return entry.first == id; });
                self->settle_drained();
            }
        });
        return true;
    }

    // ---- automatic reconnection (io) ----

    void notify_reconnecting(std::chrono::milliseconds retry_in, std::string message) {
        reconnecting = true;
        if (sink) {
            sink->on_reconnecting(
                {.cause = cause, .attempt = attempt, .retry_in = retry_in, .message = message});
        }
    }

    // The primary dropped: keep the session, capture sends, and start reconnecting.
    void connection_lost(const std::string& message) {
        if (!recovering) {
            recovering = true;
            reconnecting = true;  // already true for what the sink hears next
            cause = ReconnectCause::kConnectionLost;
            attempt = 0;
            outage_start = Clock::now();
            end_cut_turn();
            log::warn("session: {}; reconnecting with the resumption handle", message);
        }
        last_failure = message;
        // A goAway belongs to the connection that sent it: the one that replaces it owes no
        // switch-over (one due later would cut the turn the new connection is answering).
        go_away_timer.cancel();
        go_away_pending = false;
        go_away_seen = false;
        drop_standby({});
        setup_timer.cancel();
        awaiting_ack = false;
        ack_timer.cancel();
        state = SessionState::kConnecting;
        // Not reset here: we may be inside one of its handlers.
        loop.post([dead = std::shared_ptr<transport::WsConnection>(std::move(connection))] {});
        ++generation;  // nothing more from the dead connection
        schedule_retry();
    }

    // A model turn the lost connection cut: what of it was in flight is unknown, so it ends as
    // interrupted (the player drops it) and the server answers again in full after the resume.
    void end_cut_turn() {
        if (!turn_unfinished)
            return;
        const TurnId id = turn;
        turn_open = false;
        turn_unfinished = false;
        if (sink)
            sink->on_interrupted(id);
    }

    void schedule_retry() {
        ++attempt;
        const auto& settings = config.reconnect;
        auto delay = settings.first_backoff;
        for (int i = 1; i < attempt && delay < settings.max_backoff; ++i) delay *= 2;
        delay = std::min(delay, settings.max_backoff);
        const auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - outage_start);
        if (elapsed + delay > settings.give_up_after) {
            recovering = false;
            reconnecting = false;
            finish({.error = make_error_code(SessionError::kConnectionLost),
                    .close_code = 0,
                    .reason = {},
                    .message = fmt::format("gave up reconnecting after {:.1f} s ({} attempts): {}",
                                           static_cast<double>(elapsed.count()) / 1000.0,
                                           attempt - 1, last_failure)});
            return;
        }
        notify_reconnecting(delay,
                            fmt::format("{}: reconnecting in {:.1f} s (attempt {})", last_failure,
                                        static_cast<double>(delay.count()) / 1000.0, attempt));
        retry_timer = loop.schedule(delay, [weak = weak_from_this()] {
            if (auto self = weak.lock(); self && self->recovering && self->sink)
                self->open();
        });
    }

    // goAway on the primary: switch at the next turn boundary, or by the deadline.
    void on_go_away(milliseconds time_left) {
        go_away_seen = true;
        if (!auto_reconnect() || recovering || go_away_pending || standby_id != 0)
            return;
        go_away_pending = true;
        const auto lead = std::max(milliseconds(0), time_left - config.reconnect.go_away_margin);
        go_away_deadline = Clock::now() + lead;
        if (!turn_unfinished) {
            start_switch();
            return;
        }
        go_away_timer = loop.schedule(lead, [weak = weak_from_this()] {
            if (auto self = weak.lock())
                self->start_switch();
        });
    }

    void on_turn_boundary() {
        if (go_away_pending && standby_id == 0)
            start_switch();
    }

    void start_switch() {
        go_away_timer.cancel();
        if (!go_away_pending || standby_id != 0 || state != SessionState::kOpen || recovering)
            return;
        cause = ReconnectCause::kGoAway;
        attempt = 1;
        outage_start = Clock::now();
        log::info("session: switching to a new connection (goAway)");
        notify_reconnecting(milliseconds(0),
                            "the server asked to move (goAway): opening a new connection");
        open_standby();
    }

    void drop_standby(const std::string& why) {
        standby_setup_timer.cancel();
        if (standby_id == 0)
            return;
        standby_id = 0;
        if (standby) {
            if (standby->is_open())
                standby->close(transport::kCloseNormal, "");
            loop.post([dead = std::shared_ptr<transport::WsConnection>(std::move(standby))] {});
        }
        if (!why.empty()) {
            // The old connection still works; try again at the deadline (or reconnect once it
            // is cut).
            log::warn("session: the switch-over failed: {}", why);
            const auto left =
                std::max(milliseconds(0),
                         std::chrono::duration_cast<milliseconds>(go_away_deadline - Clock::now()));
            go_away_timer = loop.schedule(left, [weak = weak_from_this()] {
                if (auto self = weak.lock())
                    self->start_switch();
            });
        }
    }

    // The standby's setupComplete: it becomes the primary; the old one sends what it has queued
    // and closes.
    void promote_standby() {
        standby_setup_timer.cancel();
        if (connection) {
            if (connection->is_open())
                connection->close(transport::kCloseNormal, "switching to a new connection");
            retiring.emplace_back(generation, std::move(connection));
        }
        // A turn still open on the old connection ends here (the deadline forced the switch).
        end_cut_turn();
        connection = std::move(standby);
        generation = standby_id;
        standby_id = 0;
        primary_resumed = true;
        go_away_pending = false;
        go_away_seen = false;
        go_away_timer.cancel();
        ++go_away_switches;
        ++connections;
        ++reconnects;
        log::info("session: switched to a new connection ({})", endpoint.host);
        begin_sending(/*automatic=*/true);
    }

    // io: the primary is set up; sends go out once the server said what it has (transparent
    // resumption of an earlier connection), else now. `automatic`: a resume of ours.
    void begin_sending(bool automatic) {
        resume_automatic = automatic;
        if (transparent && primary_resumed) {
            // The server's first sessionResumptionUpdate carries its count; a server that never
            // sends one gets a second.
            awaiting_ack = true;
            ack_timer = loop.schedule(kAckTimeout, [weak = weak_from_this(), id = generation] {
                if (auto self = weak.lock(); self && self->generation == id && self->awaiting_ack)
                    self->resume_sends(std::nullopt);
            });
            return;
        }
        resume_sends(std::nullopt);
    }
    bool resume_automatic = false;

    // io: sends again what the server did not consume (transparent), then the queue.
    void resume_sends(std::optional<std::int64_t> consumed) {
        awaiting_ack = false;
        ack_timer.cancel();
        std::uint64_t resent = 0;
        std::uint64_t lost = 0;
        if (transparent && consumed) {
            auto resend = replay.resend_after(*consumed);
            for (auto& entry : resend.entries) {
                resent += entry.audio_samples;
                connection->send_text(std::move(entry.message));
            }
            lost = resend.lost_samples;
            next_index = resend.next_index;
        } else if (transparent && replay.size() > 0) {
            log::warn(
                "session: the server did not say which messages it received; {} ms of "
                "audio sent before the switch may be lost",
                replay.audio_samples() / kInputSamplesPerMs);
            lost = replay.audio_samples();
            replay.clear();
        }
        resent_samples += resent;
        lost_samples += lost;
        const auto gap =
            cause == ReconnectCause::kGoAway
                ? milliseconds(0)
                : std::chrono::duration_cast<milliseconds>(Clock::now() - outage_start);
        last_gap_ms = static_cast<std::uint64_t>(gap.count());
        const bool automatic = resume_automatic;
        resume_automatic = false;
        const int attempts = attempt;
        recovering = false;
        reconnecting = false;
        if (automatic) {
            log::info("session: resumed ({}, {} ms without a connection, {} ms of audio resent{})",
                      cause == ReconnectCause::kGoAway ? "switch-over after goAway"
                                                       : "after a lost connection",
                      gap.count(), resent / kInputSamplesPerMs,
                      lost > 0 ? fmt::format(", {} ms lost", lost / kInputSamplesPerMs) : "");
        }
        if (sink && automatic) {
            sink->on_resumed({.cause = cause,
                              .attempts = attempts,
                              .gap = gap,
                              .audio_resent_ms = resent / kInputSamplesPerMs,
                              .audio_lost_ms = lost / kInputSamplesPerMs});
        }
        cause = ReconnectCause::kConnectionLost;
        request_pump();
    }

    // io: the session ends; the sink hears it once.
    void finish(SessionClosed closed) {
        const auto closing_id = generation;
        ++generation;
        state = SessionState::kClosed;
        setup_timer.cancel();
        retry_timer.cancel();
        go_away_timer.cancel();
        ack_timer.cancel();
        recovering = false;
        reconnecting = false;
        go_away_pending = false;
        awaiting_ack = false;
        drop_standby({});
        queue.clear();
        replay.clear();
        turn_open = false;
        turn_unfinished = false;
        if (connection && connection->is_open()) {
            // Kept until the peer answers the close frame, so an owner going away next waits
            // for the handshake (detach()) instead of stopping the loop with the frame unsent.
            connection->close(transport::kCloseNormal, "");
            retiring.emplace_back(closing_id, std::move(connection));
        } else if (connection) {
            loop.post([dead = std::shared_ptr<transport::WsConnection>(std::move(connection))] {});
        }
        settle_drained();
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
        retry_timer.cancel();
        go_away_timer.cancel();
        ack_timer.cancel();
        recovering = false;
        drop_standby({});
        state = SessionState::kClosed;
        if (connection && connection->is_open()) {
            connection->close(transport::kCloseNormal, "");
            on_drained = std::move(drained);
            return;
        }
        ++generation;
        connection.reset();
        if (!retiring.empty()) {  // close handshakes still running: forget_retiring() ends it
            on_drained = std::move(drained);
            return;
        }
        drained->set_value();
    }

    // ---- server messages (io) ----

    void on_payload(std::uint64_t id, const std::string& payload) {
        const bool is_standby = id == standby_id && id != 0;
        if (id != generation && !is_standby)
            return;  // a retiring connection: its session is over for us
        ++messages_received;
        auto decoded = protocol::decode_server_message(payload);
        if (!decoded) {
            ++messages_ignored;
            log::warn("session: ignored a server message that could not be decoded: {}",
                      decoded.error().message);
            return;
        }
        if (is_standby) {
            // Before its setupComplete a standby only ever says setupComplete.
            if (decoded->setup_complete)
                promote_standby();
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
        if (message.setup_complete && state == SessionState::kConnecting) {
            state = SessionState::kOpen;
            setup_timer.cancel();
            ++connections;
            const bool automatic = recovering;
            log::info("session: open ({} at {}){}", endpoint.model, endpoint.host,
                      automatic ? ", resumed" : "");
            if (automatic) {
                ++reconnects;
            } else if (sink) {
                sink->on_setup_complete(*message.setup_complete);
            }
            begin_sending(automatic);
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
            on_go_away(left);
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
            if (transparent) {
                const auto& consumed = update.last_consumed_client_message_index;
                if (awaiting_ack) {
                    resume_sends(consumed);
                } else if (consumed) {
                    replay.acknowledge(*consumed);
                }
            }
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
            on_turn_boundary();
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
    // Vertex AI with no token, token provider or key: Application Default Credentials, as the
    // SDKs do. The token endpoint is trusted like the Live endpoint (ca_file) and given the same
    // time to answer; the first token is fetched here, on the caller's thread, not on io.
    AdcTokenProviderOptions adc;
    adc.endpoint.timeout = config.connection.connect_timeout;
    adc.endpoint.ca_file = config.connection.ca_file;
    adc.endpoint.resolve_override = config.connection.resolve_override;
    if (auto status = apply_default_credentials(config, environment, std::move(adc)); !status)
        return fail(status.error());
    LiveSessionConfig resolved_config = config;
    if (config.connection.token_provider && config.connection.access_token.empty()) {
        auto token = config.connection.token_provider->access_token();
        if (!token)
            return fail(token_failure(*config.connection.token_provider, token.error()));
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
    core_->config_max_pending_ms = config.max_pending_audio.count();
    {
        std::lock_guard lock(core_->handle_mutex);
        core_->handle = config.resumption.handle;
    }
    // Transparent resumption where the server supports it (see ResumptionConfig).
    config.resumption.transparent =
        config.resumption.enabled &&
        config.resumption.transparent.value_or(endpoint->backend == Backend::kVertex ||
                                               !config.connection.url.empty());
    loop_->post([core = core_, config = std::move(config), environment,
                 endpoint = std::move(*endpoint)]() mutable {
        core->config = std::move(config);
        core->environment = std::move(environment);
        core->endpoint = std::move(endpoint);
        core->transparent = core->config.resumption.transparent.value_or(false);
        core->next_index = 0;
        core->replay.clear();
        core->replay.set_max_audio_samples(bound_samples(core->config.max_pending_audio));
        core->go_away_seen = false;
        core->go_away_pending = false;
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
        // A manual reconnect replaces whatever automatic one is under way.
        core->retry_timer.cancel();
        core->go_away_timer.cancel();
        core->recovering = false;
        core->reconnecting = false;
        core->go_away_pending = false;
        core->go_away_seen = false;
        core->drop_standby({});
        if (core->connection) {
            // Bump first so the old connection's close is not reported as the session's end.
            ++core->generation;
            if (core->connection->is_open()) {
                core->connection->close(transport::kCloseNormal, "reconnecting");
            }
            core->connection.reset();
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
    stats.reconnects = core_->reconnects.load();
    stats.go_away_switches = core_->go_away_switches.load();
    stats.last_gap_ms = core_->last_gap_ms.load();
    stats.audio_resent_ms = core_->resent_samples.load() / kInputSamplesPerMs;
    stats.audio_lost_ms = core_->lost_samples.load() / kInputSamplesPerMs;
    stats.reconnecting = core_->reconnecting.load();
    return stats;
}

}  // namespace parley::session
