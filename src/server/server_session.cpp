// SPDX-License-Identifier: Apache-2.0
#include "server/server_session.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "base/log.hpp"
#include "protocol/audio.hpp"
#include "protocol/base64.hpp"
#include "protocol/codec.hpp"
#include "dsp/resampler.hpp"
#include "server/engine_error.hpp"

namespace parley::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr int kInputRateHz = 16000;
constexpr int kOutputRateHz = 24000;
// Audio goes out in 100 ms messages, the size Google's own examples use.
constexpr std::size_t kChunkSamples = kOutputRateHz / 10;
// Token estimates for usageMetadata: Gemini counts 32 tokens per second of audio and about
// four characters per text token.
constexpr double kAudioTokensPerSecond = 32.0;
constexpr std::size_t kCharsPerToken = 4;

// Close reasons, worded as the real service words them (LIVE_PROTOCOL.md §8).
constexpr const char* kInvalidArgument = "Request contains an invalid argument.";
constexpr const char* kPrecondition = "Precondition check failed.";
constexpr const char* kInternal = "Internal error occurred.";
constexpr const char* kSessionNotFound = "BidiGenerateContent session not found";
// Transparent resumption: consumed client messages are acknowledged at least this often (about a
// second of 100 ms audio chunks), so a client's resend buffer stays small.
constexpr std::int64_t kAcknowledgeEveryMessages = 10;
// A resumable session's listening half waits this long for a connection to resume it before its
// unfinished utterance is dropped (it may hold a recognizer).
constexpr milliseconds kResumeGrace{30'000};
constexpr const char* kGoAwayDeadline =
    "Connection aborted because the client failed to close the connection after receiving a "
    "GoAway message.";

std::string text_of(const protocol::Content& content) {
    std::string text;
    for (const auto& part : content.parts) {
        if (part.text && !part.thought.value_or(false)) {
            if (!text.empty()) text += ' ';
            text += *part.text;
        }
    }
    return text;
}

bool valid_model(const std::string& model) {
    // Any model id is accepted in the forms the SDKs send (LIVE_PROTOCOL.md §4.1).
    const auto name = model.substr(model.rfind('/') + 1);
    if (name.empty()) return false;
    return model.starts_with("models/") || model.starts_with("publishers/google/models/") ||
           (model.starts_with("projects/") &&
            model.find("/publishers/google/models/") != std::string::npos);
}

std::string quote(const std::string& text, std::size_t max_chars = 80) {
    if (text.size() <= max_chars) return "'" + text + "'";
    return "'" + text.substr(0, max_chars) + "...'";
}

protocol::ServerMessage content_message(protocol::ServerContent content) {
    protocol::ServerMessage message;
    message.server_content = std::move(content);
    return message;
}

protocol::ServerMessage flag_message(std::optional<bool> protocol::ServerContent::*flag) {
    protocol::ServerContent content;
    content.*flag = true;
    return content_message(std::move(content));
}

HistoryEntry text_entry(HistoryEntry::Role role, std::string text) {
    HistoryEntry entry;
    entry.role = role;
    entry.text = std::move(text);
    return entry;
}

HistoryEntry tool_entry(HistoryEntry::Role role, std::string name, std::string id) {
    HistoryEntry entry;
    entry.role = role;
    entry.tool_name = std::move(name);
    entry.tool_call_id = std::move(id);
    return entry;
}

protocol::Content model_content(protocol::Part part) {
    protocol::Content content;
    content.parts.push_back(std::move(part));
    content.role = "model";
    return content;
}

// The hot message, 50 times a second per session: {"realtimeInput":{"audio":{"data":"...",
// "mimeType":"..."}}} (either member order, optional whitespace, no escapes). Read without
// building a JSON document; anything else (or anything odd about this one) returns false and
// goes through the full decoder, which also words the errors.
class AudioMessageReader {
public:
    explicit AudioMessageReader(std::string_view text) : text_(text) {}

    bool read(protocol::Blob& blob) {
        std::string_view data;
        std::string_view mime;
        if (!(open() && key("realtimeInput") && open() && key("audio") && open())) return false;
        for (int member = 0; member < 2; ++member) {
            if (member == 1 && !punct(',')) return false;
            std::string_view name;
            std::string_view value;
            if (!string(name) || !punct(':') || !string(value)) return false;
            if (name == "data" && data.data() == nullptr) {
                data = value;
            } else if (name == "mimeType" && mime.data() == nullptr) {
                mime = value;
            } else {
                return false;
            }
        }
        if (!(punct('}') && punct('}') && punct('}'))) return false;
        skip_space();
        if (at_ != text_.size()) return false;
        if (protocol::base64_decode(data, blob.data)) return false;
        blob.mime_type.assign(mime);
        return true;
    }

private:
    void skip_space() {
        while (at_ < text_.size() &&
               (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\r' || text_[at_] == '\t')) {
            ++at_;
        }
    }
    bool punct(char ch) {
        skip_space();
        if (at_ >= text_.size() || text_[at_] != ch) return false;
        ++at_;
        return true;
    }
    bool open() { return punct('{'); }
    bool string(std::string_view& out) {
        if (!punct('"')) return false;
        const auto end = text_.find('"', at_);
        if (end == std::string_view::npos) return false;
        out = text_.substr(at_, end - at_);
        if (out.find('\\') != std::string_view::npos) return false;
        at_ = end + 1;
        return true;
    }
    bool key(std::string_view name) {
        std::string_view got;
        return string(got) && got == name && punct(':');
    }

    std::string_view text_;
    std::size_t at_ = 0;
};

std::vector<std::string> words_of(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string word; in >> word;) words.push_back(word);
    return words;
}

}  // namespace

struct ServerSession::ModelTurn {
    std::uint64_t number = 0;
    std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
    bool generating = true;
    PlaybackClock clock;
    std::vector<std::string> sentences;  // index = PlaybackClock mark
    std::string text_sent;               // TEXT modality
    std::vector<std::string> pending_tool_ids;
    transport::TimerHandle complete_timer;
    Clock::time_point user_end{};
    Clock::time_point first_output{};
    bool any_output = false;
    std::string heard;  // the user turn this answers, for the log
};

// Hands the generator's events (work thread) to the session on io.
class ServerSession::ReplyRelay final : public ReplyEvents {
public:
    ReplyRelay(std::weak_ptr<ServerSession> session, transport::EventLoop& loop,
               std::uint64_t turn)
        : session_(std::move(session)), loop_(loop), turn_(turn) {}

    void on_sentence(std::size_t index, std::string text, std::vector<int16_t> pcm) override {
        relay([turn = turn_, index, text = std::move(text), pcm = std::move(pcm)](
                  ServerSession& s) mutable {
            s.on_sentence(turn, index, std::move(text), std::move(pcm));
        });
    }
    void on_tool_call(ToolCall call) override {
        relay([turn = turn_, call = std::move(call)](ServerSession& s) mutable {
            s.on_tool_call(turn, std::move(call));
        });
    }
    void on_done(Status status) override {
        relay([turn = turn_, status](ServerSession& s) { s.on_reply_done(turn, status); });
    }

private:
    template <typename Fn>
    void relay(Fn fn) {
        loop_.post([weak = session_, fn = std::move(fn)]() mutable {
            if (auto session = weak.lock()) fn(*session);
        });
    }
    std::weak_ptr<ServerSession> session_;
    transport::EventLoop& loop_;
    std::uint64_t turn_;
};

ServerSession::ServerSession(std::uint64_t id, SessionEngines engines,
                             std::unique_ptr<transport::WsConnection> connection,
                             std::string api_version)
    : id_(id),
      engines_(engines),
      connection_(std::move(connection)),
      api_version_(std::move(api_version)),
      input_queue_(std::make_shared<WorkQueue>(engines.pool)),
      output_queue_(std::make_shared<WorkQueue>(engines.pool)) {}

ServerSession::~ServerSession() {
    if (turn_) turn_->cancelled->store(true);
}

void ServerSession::start(std::function<void()> on_finished) {
    on_finished_ = std::move(on_finished);
    log::info("session {}: connected from {} (api {})", id_, connection_->peer(), api_version_);
    std::weak_ptr<ServerSession> weak = weak_from_this();
    transport::WsHandlers handlers;
    handlers.on_message = [weak](transport::MessageKind, std::string payload) {
        if (auto self = weak.lock()) self->on_message(std::move(payload));
    };
    handlers.on_close = [weak](const transport::CloseInfo& info) {
        if (auto self = weak.lock()) {
            log::info("session {}: closed ({} {})", self->id_, info.code, quote(info.reason));
            self->finish();
        }
    };
    handlers.on_error = [weak](std::error_code ec) {
        if (auto self = weak.lock()) {
            log::info("session {}: connection lost: {}", self->id_, ec.message());
            self->finish();
        }
    };
    connection_->start(std::move(handlers));
}

void ServerSession::close(std::uint16_t code, const std::string& reason) {
    if (connection_ && connection_->is_open()) connection_->close(code, reason);
}

void ServerSession::post_to_io(std::function<void(ServerSession&)> fn) {
    engines_.loop.post([weak = weak_from_this(), fn = std::move(fn)] {
        if (auto self = weak.lock(); self && !self->finished_) fn(*self);
    });
}

void ServerSession::send(const protocol::ServerMessage& message) {
    // Google sends every message as a binary frame of UTF-8 JSON (LIVE_PROTOCOL.md §2).
    if (connection_ && connection_->is_open()) {
        connection_->send_binary(protocol::encode_server_message(message));
        if (message.server_content && message.server_content->model_turn) check_memory();
    }
}

void ServerSession::fail(std::uint16_t code, const std::string& reason) {
    log::warn("session {}: closing with {}: {}", id_, code, reason);
    if (turn_) turn_->cancelled->store(true);
    close(code, reason);
}

void ServerSession::finish() {
    if (finished_) return;
    finished_ = true;
    if (turn_) {
        turn_->cancelled->store(true);
        turn_->complete_timer.cancel();
    }
    go_away_timer_.cancel();
    deadline_timer_.cancel();
    bool serving = false;
    if (state_) {
        serving = state_->listener.lock().get() == this;
        if (serving) {
            state_->connected = false;
            state_->listener.reset();
        }
        engines_.store.touch(state_);
    }
    if (state_ && resumable_ && turn_) {
        // The connection ended inside a model turn: what of it reached the client is unknown
        // (a reset loses what was in flight), so the client drops it and the next connection
        // answers again in full.
        state_->reply_owed = true;
        if (auto next = state_->listener.lock()) {
            // A switch-over already moved the session to a new connection: it answers.
            engines_.loop.post([weak = std::weak_ptr<ServerSession>(next)] {
                if (auto session = weak.lock(); session && !session->finished_) {
                    session->take_over();
                }
            });
        }
    }
    if (input_ && !resumable_) {
        input_queue_->post([input = input_] { input->cancel(); });
    } else if (input_ && serving) {
        engines_.loop.schedule(kResumeGrace, [weak = std::weak_ptr<SessionState>(state_)] {
            auto state = weak.lock();
            if (state && state->listener.expired() && state->input) {
                state->input_queue->post([input = state->input] { input->cancel(); });
            }
        });
    }
    if (on_finished_) {
        // Deferred: the owner drops its reference, and must not do it inside our own handler.
        engines_.loop.post(std::move(on_finished_));
    }
}

void ServerSession::on_message(std::string payload) {
    if (set_up_) {
        protocol::Blob blob;
        if (AudioMessageReader(payload).read(blob)) {
            if (already_consumed()) return;
            on_audio(blob);
            return;
        }
    }
    auto decoded = protocol::decode_client_message(payload);
    if (!decoded) {
        log::warn("session {}: bad message: {}", id_, decoded.error().message);
        fail(transport::kCloseInvalidPayload,
             "Invalid JSON payload received. " + decoded.error().message);
        return;
    }
    auto& message = *decoded;
    // Everything the client sends counts once it is kept: history text and pending audio.
    if (std::holds_alternative<protocol::ClientContent>(message)) {
        for (const auto& turn :
             std::get<protocol::ClientContent>(message).turns.value_or(std::vector<protocol::Content>{})) {
            client_text_bytes_ += text_of(turn).size();
        }
    } else if (const auto* response = std::get_if<protocol::ToolResponse>(&message)) {
        for (const auto& r : response->function_responses) client_text_bytes_ += r.response.dump().size();
    }
    if (!set_up_) {
        if (auto* setup = std::get_if<protocol::Setup>(&message)) {
            on_setup(std::move(*setup));
        } else {
            fail(transport::kCloseInvalidPayload,
                 std::string(kInvalidArgument) + " The first message must be setup.");
        }
        return;
    }
    if (already_consumed()) return;
    std::visit(
        [this](auto&& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, protocol::Setup>) {
                fail(transport::kCloseInvalidPayload,
                     std::string(kInvalidArgument) + " setup was already sent.");
            } else if constexpr (std::is_same_v<T, protocol::RealtimeInput>) {
                on_realtime_input(std::move(m));
            } else if constexpr (std::is_same_v<T, protocol::ClientContent>) {
                on_client_content(std::move(m));
            } else if constexpr (std::is_same_v<T, protocol::ToolResponse>) {
                on_tool_response(std::move(m));
            } else if constexpr (std::is_same_v<T, protocol::ContextUpdate>) {
                if (m.system_instruction) system_instruction_ = text_of(*m.system_instruction);
                log::info("session {}: context updated", id_);
            }
        },
        std::move(message));
    check_memory();
}

bool ServerSession::check_memory() {
    const auto limit = engines_.options.max_session_memory_bytes;
    if (limit == 0 || finished_ || !connection_ || !connection_->is_open()) return false;
    const auto audio = unheard_audio_bytes_->load();
    const auto unsent = connection_->queued_bytes();
    const auto text = client_text_bytes_ + system_instruction_.size();
    if (audio + unsent + text <= limit) return false;
    constexpr double kMiB = 1 << 20;
    log::warn("session {}: over its memory limit: {:.1f} MiB of unheard audio, {:.1f} MiB of "
              "history, {:.1f} MiB of unsent replies",
              id_, audio / kMiB, text / kMiB, unsent / kMiB);
    const char* what = unsent >= audio && unsent >= text ? "unread replies (is the client reading?)"
                       : audio >= text                   ? "audio not yet heard (send in real time)"
                                                         : "history text";
    fail(transport::kCloseInternalError,
         "Session over its memory limit (" +
             std::to_string((limit + (1 << 20) - 1) >> 20) + " MiB) with " + what +
             "; see --max-session-mb.");
    return true;
}

void ServerSession::on_setup(protocol::Setup setup) {
    if (!valid_model(setup.model)) {
        fail(transport::kClosePolicy, setup.model + " is not found for API version " +
                                          api_version_ +
                                          ", or is not supported for bidiGenerateContent.");
        return;
    }
    const auto& generation = setup.generation_config;
    if (generation && generation->response_modalities) {
        const auto& modalities = *generation->response_modalities;
        const bool text = std::find(modalities.begin(), modalities.end(),
                                    protocol::Modality::kText) != modalities.end();
        const bool audio = std::find(modalities.begin(), modalities.end(),
                                     protocol::Modality::kAudio) != modalities.end();
        if (modalities.size() > 1 || (!modalities.empty() && !text && !audio)) {
            fail(transport::kCloseInvalidPayload,
                 std::string(kInvalidArgument) + " responseModalities must be AUDIO or TEXT.");
            return;
        }
        audio_out_ = !text;
    }
    if (generation && generation->speech_config && generation->speech_config->voice_config &&
        generation->speech_config->voice_config->prebuilt_voice_config &&
        generation->speech_config->voice_config->prebuilt_voice_config->voice_name) {
        voice_ = flite_voice_for(
            *generation->speech_config->voice_config->prebuilt_voice_config->voice_name);
    }
    if (setup.system_instruction) system_instruction_ = text_of(*setup.system_instruction);
    for (const auto& tool : setup.tools.value_or(std::vector<protocol::Tool>{})) {
        for (const auto& declaration :
             tool.function_declarations.value_or(std::vector<protocol::FunctionDeclaration>{})) {
            tools_.push_back({declaration.name, declaration.description.value_or(""),
                              declaration.parameters.value_or(nlohmann::ordered_json())});
        }
    }
    input_transcription_ = setup.input_audio_transcription.has_value();
    output_transcription_ = setup.output_audio_transcription.has_value();

    UserInputConfig input_config;
    if (setup.realtime_input_config) {
        const auto& realtime = *setup.realtime_input_config;
        interrupts_ = realtime.activity_handling != protocol::ActivityHandling::kNoInterruption;
        if (const auto& aad = realtime.automatic_activity_detection) {
            automatic_activity_ = !aad->disabled.value_or(false);
            auto& detector = input_config.detector;
            if (aad->start_of_speech_sensitivity == protocol::StartSensitivity::kLow) {
                detector.start_sensitivity = dsp::Sensitivity::kLow;
            } else if (aad->start_of_speech_sensitivity == protocol::StartSensitivity::kHigh) {
                detector.start_sensitivity = dsp::Sensitivity::kHigh;
            }
            if (aad->end_of_speech_sensitivity == protocol::EndSensitivity::kLow) {
                detector.end_sensitivity = dsp::Sensitivity::kLow;
            } else if (aad->end_of_speech_sensitivity == protocol::EndSensitivity::kHigh) {
                detector.end_sensitivity = dsp::Sensitivity::kHigh;
            }
            // Out-of-range values are clamped to what the detector supports.
            if (aad->prefix_padding_ms) {
                detector.prefix_padding_ms = std::clamp(*aad->prefix_padding_ms, 0, 2000);
            }
            if (aad->silence_duration_ms) {
                detector.silence_duration_ms = std::clamp(*aad->silence_duration_ms, 100, 10000);
            }
        }
    }
    input_config.automatic = automatic_activity_;

    resumable_ = setup.session_resumption.has_value();
    if (resumable_ && setup.session_resumption->handle && !setup.session_resumption->handle->empty()) {
        const auto resume_point = engines_.store.find(*setup.session_resumption->handle);
        state_ = resume_point.state;
        if (!state_) {
            fail(transport::kClosePolicy, kSessionNotFound);
            return;
        }
        log::info("session {}: resumed a session with {} history entries", id_,
                  state_->history.size());
        for (const auto& entry : state_->history) client_text_bytes_ += entry.text.size();
        if (auto previous = state_->listener.lock(); previous && previous.get() != this) {
            previous->hand_over_turn();
        } else if (resume_point.replies_completed < state_->replies_completed) {
            owe_reply_whose_end_was_lost();
        }
    } else {
        state_ = std::make_shared<SessionState>();
    }
    state_->connected = true;
    state_->listener = weak_from_this();
    transparent_ = resumable_ && setup.session_resumption->transparent.value_or(false);
    next_message_index_ = state_->consumed_messages;
    acknowledged_messages_ = state_->consumed_messages;
    if (!attach_input(input_config)) {
        fail(transport::kCloseInternalError, kInternal);
        return;
    }
    setup_ = std::move(setup);
    set_up_ = true;

    protocol::ServerMessage complete;
    complete.setup_complete = protocol::SetupComplete{};
    send(complete);
    log::info("session {}: set up: model {}, {} out, voice {}, {} tool(s), {} activity detection",
              id_, setup_.model, audio_out_ ? "audio" : "text", flite_voice_name(voice_),
              tools_.size(), automatic_activity_ ? "automatic" : "manual");
    if (resumable_) send_resumption_update();
    schedule_go_away();
    take_over();
}

bool ServerSession::already_consumed() {
    if (!transparent_) return false;
    // Every client message after setup has a session-wide number; a resumed client sends again
    // what it had not seen acknowledged, and what was consumed already is skipped.
    const auto index = next_message_index_++;
    if (index < state_->consumed_messages) {
        log::debug("session {}: message {} was consumed already; skipped", id_, index);
        return true;
    }
    state_->consumed_messages = index + 1;
    if (resumable_ &&
        state_->consumed_messages - acknowledged_messages_ >= kAcknowledgeEveryMessages) {
        send_resumption_update(/*fresh_handle=*/false);
    }
    return false;
}

bool ServerSession::attach_input(const UserInputConfig& config) {
    if (state_->input) {
        // A resumed session listens on where its last connection stopped (its settings stay).
        input_ = state_->input;
        input_queue_ = state_->input_queue;
        return true;
    }
    // The events reach whichever connection serves the session when they happen.
    auto& loop = engines_.loop;
    auto route = [&loop, weak = std::weak_ptr<SessionState>(state_)](
                     std::function<void(ServerSession&)> fn,
                     std::function<void(SessionState&)> unserved) {
        loop.post([weak, fn = std::move(fn), unserved = std::move(unserved)] {
            auto state = weak.lock();
            if (!state) return;
            if (auto session = state->listener.lock(); session && !session->finished_) {
                fn(*session);
            } else if (unserved) {
                unserved(*state);
            }
        });
    };
    UserInputEvents events;
    events.on_speech_start = [route](milliseconds offset) {
        route([offset](ServerSession& s) { s.on_speech_start(offset); }, {});
    };
    events.on_turn = [route](UserTurn turn) {
        auto shared = std::make_shared<UserTurn>(std::move(turn));
        route([shared](ServerSession& s) { s.on_user_turn(std::move(*shared)); },
              [shared](SessionState& state) { state.unheard_turns.push_back(std::move(*shared)); });
    };
    events.on_violation = [route](std::string reason) {
        route([reason = std::move(reason)](ServerSession& s) {
            s.fail(transport::kCloseInvalidPayload, reason);
        }, {});
    };
    auto input = UserInput::create(config, engines_.recognizer, std::move(events));
    if (!input) {
        log::error("session {}: cannot listen: {}", id_, input.error().message());
        return false;
    }
    input_ = std::shared_ptr<UserInput>(std::move(*input));
    state_->input = input_;
    state_->input_queue = input_queue_;
    return true;
}

void ServerSession::hand_over_turn() {
    // A switch-over: the client left this connection for one that resumed the session, and it
    // ends the model turn it was receiving here as cut (it reads nothing more from this one).
    // Finishing the turn here would lose it, so it stops here and is answered again in full
    // there, as after a lost connection.
    if (finished_ || !turn_ || !resumable_) return;
    turn_->cancelled->store(true);
    turn_->complete_timer.cancel();
    log::info("session {}: turn {} moves to the connection that resumed the session", id_,
              turn_->number);
    turn_.reset();
    state_->reply_owed = true;
}

void ServerSession::owe_reply_whose_end_was_lost() {
    // The handle is older than the last reply's turnComplete, which is followed by a fresh
    // handle: that turnComplete was lost with the connection, so the client dropped the reply as
    // cut. Unless the user has spoken since, it is taken back and answered again in full.
    if (state_->reply_owed || !state_->unheard_turns.empty() ||
        state_->history.size() != state_->history_after_reply) {
        return;
    }
    state_->history.resize(state_->history.size() - state_->reply_entries);
    state_->history_after_reply = state_->history.size();
    state_->reply_entries = 0;
    state_->reply_owed = true;
}

void ServerSession::take_over() {
    auto turns = std::move(state_->unheard_turns);
    state_->unheard_turns.clear();
    for (auto& turn : turns) {
        log::info("session {}: answering {} heard while no connection served the session", id_,
                  quote(turn.text));
        on_user_turn(std::move(turn));
    }
    if (state_->reply_owed && !turn_) {
        state_->reply_owed = false;
        log::info("session {}: answering again: the last connection ended inside the reply", id_);
        start_reply(Clock::now());
        turn_->heard = "(the reply a lost connection cut short)";
    }
}

void ServerSession::schedule_go_away() {
    const auto lifetime = engines_.options.max_connection;
    if (lifetime.count() <= 0) return;
    const auto lifetime_ms = duration_cast<milliseconds>(lifetime);
    const auto notice = std::min(duration_cast<milliseconds>(engines_.options.go_away_notice),
                                 lifetime_ms / 2);
    go_away_timer_ = engines_.loop.schedule(lifetime_ms - notice, [this, weak = weak_from_this(),
                                                                   notice] {
        if (auto self = weak.lock()) go_away(notice);
    });
}

void ServerSession::go_away(milliseconds time_left) {
    if (finished_ || go_away_sent_ || !set_up_) return;
    go_away_sent_ = true;
    protocol::ServerMessage message;
    message.go_away = protocol::GoAway{time_left};
    send(message);
    log::info("session {}: goAway, {} ms left", id_, time_left.count());
    deadline_timer_ = engines_.loop.schedule(time_left, [this, weak = weak_from_this()] {
        if (auto self = weak.lock(); self && !finished_) fail(transport::kClosePolicy, kGoAwayDeadline);
    });
}

void ServerSession::send_resumption_update(bool fresh_handle) {
    protocol::SessionResumptionUpdate update;
    if (fresh_handle || last_handle_.empty()) last_handle_ = engines_.store.issue(state_);
    update.new_handle = last_handle_;
    update.resumable = true;
    if (transparent_) {
        update.last_consumed_client_message_index = state_->consumed_messages - 1;
        acknowledged_messages_ = state_->consumed_messages;
    }
    protocol::ServerMessage message;
    message.session_resumption_update = std::move(update);
    send(message);
}

void ServerSession::on_realtime_input(protocol::RealtimeInput input) {
    std::visit(
        [this](auto&& in) {
            using T = std::decay_t<decltype(in)>;
            if constexpr (std::is_same_v<T, protocol::AudioInput>) {
                on_audio(in.audio);
            } else if constexpr (std::is_same_v<T, protocol::MediaChunks>) {
                for (const auto& blob : in.chunks) {
                    if (blob.mime_type.starts_with("audio/")) on_audio(blob);
                }
            } else if constexpr (std::is_same_v<T, protocol::VideoInput>) {
                log::debug("session {}: video frame ignored (no vision here)", id_);
            } else if constexpr (std::is_same_v<T, protocol::TextInput>) {
                on_user_text(in.text, std::nullopt);
            } else if constexpr (std::is_same_v<T, protocol::ActivityStart>) {
                if (automatic_activity_) {
                    log::warn("session {}: activityStart ignored: automatic activity detection is on",
                              id_);
                    return;
                }
                if (turn_ && interrupts_) interrupt("activityStart");
                input_queue_->post([input = input_] { input->activity_start(); });
            } else if constexpr (std::is_same_v<T, protocol::ActivityEnd>) {
                if (automatic_activity_) {
                    log::warn("session {}: activityEnd ignored: automatic activity detection is on",
                              id_);
                    return;
                }
                input_queue_->post([input = input_] { input->activity_end(); });
            } else if constexpr (std::is_same_v<T, protocol::AudioStreamEnd>) {
                input_queue_->post([input = input_] { input->audio_stream_end(); });
            }
        },
        input.input);
}

void ServerSession::on_audio(const protocol::Blob& blob) {
    if (!blob.mime_type.starts_with("audio/pcm")) {
        fail(transport::kCloseInvalidPayload, std::string(kInvalidArgument) +
                                                  " Unsupported audio mimeType '" +
                                                  blob.mime_type + "': send audio/pcm;rate=16000.");
        return;
    }
    const int rate = protocol::pcm_rate_hz(blob.mime_type, kInputRateHz);
    if (rate < 8000 || rate > 192000) {
        fail(transport::kCloseInvalidPayload,
             std::string(kInvalidArgument) + " Unsupported audio rate in '" + blob.mime_type + "'.");
        return;
    }
    if (blob.data.size() % 2 != 0) {
        log::warn("session {}: audio chunk of {} bytes is not whole PCM16 samples; last byte dropped",
                  id_, blob.data.size());
    }
    auto samples = protocol::pcm16_samples(blob.data);
    input_audio_seconds_ += static_cast<double>(samples.size()) / rate;
    const auto bytes = samples.size() * sizeof(int16_t);
    *unheard_audio_bytes_ += bytes;
    if (rate != input_rate_hz_) {
        input_rate_hz_ = rate;
        log::info("session {}: input audio at {} Hz is resampled to 16000 Hz", id_, rate);
    }
    input_queue_->post([input = input_, samples = std::move(samples), rate,
                        unheard = unheard_audio_bytes_, bytes]() mutable {
        if (rate != kInputRateHz) samples = dsp::resample(samples, rate, kInputRateHz);
        input->feed(samples);
        *unheard -= bytes;
    });
    check_memory();
}

void ServerSession::on_client_content(protocol::ClientContent content) {
    std::string last_user_text;
    for (const auto& turn : content.turns.value_or(std::vector<protocol::Content>{})) {
        const auto text = text_of(turn);
        if (text.empty()) continue;
        const bool model = turn.role == "model";
        state_->history.push_back(
            text_entry(model ? HistoryEntry::Role::kModel : HistoryEntry::Role::kUser, text));
        if (!model) last_user_text = text;
    }
    if (!content.turn_complete.value_or(false)) return;
    if (turn_) interrupt("clientContent");
    log::info("session {}: typed turn {}", id_, quote(last_user_text));
    start_reply(Clock::now());
    if (turn_) turn_->heard = last_user_text;
}

void ServerSession::on_user_text(std::string text, std::optional<UserTurn> spoken) {
    if (turn_) {
        if (!interrupts_ && spoken) {
            log::info("session {}: {} heard during the model's turn; answered after it", id_,
                      quote(text));
            queued_user_text_ = std::move(text);
            return;
        }
        interrupt(spoken ? "user turn" : "text input");
    }
    state_->history.push_back(text_entry(HistoryEntry::Role::kUser, text));
    start_reply(spoken ? spoken->ended_at : Clock::now());
    turn_->heard = std::move(text);
}

void ServerSession::on_speech_start(milliseconds offset) {
    protocol::ServerMessage message;
    if (turn_ && interrupts_) {
        log::info("session {}: user speech at {} ms into the stream", id_, offset.count());
        interrupt("barge-in");
    }
    (void)message;
}

void ServerSession::on_user_turn(UserTurn turn) {
    if (input_transcription_ && !turn.text.empty()) {
        protocol::ServerContent content;
        content.input_transcription = protocol::Transcription{};
        content.input_transcription->text = turn.text;
        send(content_message(std::move(content)));
    }
    log::info("session {}: user spoke {} ms: heard {} (recognition tail {} ms)", id_,
              turn.speech.count(), quote(turn.text), turn.recognition_tail.count());
    if (turn.text.empty() && engines_.recognizer != nullptr) return;  // noise, nothing said
    auto text = turn.text;
    on_user_text(std::move(text), std::move(turn));
}

void ServerSession::start_reply(Clock::time_point user_end) {
    auto turn = std::make_unique<ModelTurn>();
    turn->number = ++turns_started_;
    turn->user_end = user_end;
    turn_ = std::move(turn);
    generate();
}

void ServerSession::generate() {
    BrainRequest request;
    request.system_instruction = system_instruction_;
    request.history = state_->history;
    request.tools = tools_;
    auto relay = std::make_shared<ReplyRelay>(weak_from_this(), engines_.loop, turn_->number);
    output_queue_->post([relay, request = std::move(request), cancelled = turn_->cancelled,
                         style = ReplyStyle{audio_out_, voice_}, &brain = engines_.brain,
                         synthesizer = engines_.synthesizer] {
        generate_reply(brain, synthesizer, request, style, *cancelled, *relay);
    });
}

void ServerSession::on_sentence(std::uint64_t number, std::size_t index, std::string text,
                                std::vector<int16_t> pcm) {
    if (!turn_ || turn_->number != number || turn_->cancelled->load()) return;
    auto& turn = *turn_;
    const auto now = Clock::now();
    if (!turn.any_output) {
        turn.any_output = true;
        turn.first_output = now;
    }
    if (turn.sentences.size() <= index) turn.sentences.resize(index + 1);
    turn.sentences[index] = text;
    const std::string spaced = (turn.text_sent.empty() ? "" : " ") + text;
    turn.text_sent += spaced;

    if (!audio_out_) {
        protocol::ServerContent content;
        protocol::Part part;
        part.text = spaced;
        content.model_turn = model_content(std::move(part));
        send(content_message(std::move(content)));
        return;
    }
    // The transcript runs a little ahead of the audio, as the real service's does.
    if (output_transcription_) {
        protocol::ServerContent content;
        content.output_transcription = protocol::Transcription{};
        content.output_transcription->text = spaced;
        send(content_message(std::move(content)));
    }
    for (std::size_t at = 0; at < pcm.size(); at += kChunkSamples) {
        const auto count = std::min(kChunkSamples, pcm.size() - at);
        send(protocol::make_audio_output(std::span(pcm).subspan(at, count), kOutputRateHz));
        turn.clock.on_sent(now, std::chrono::microseconds(count * 1'000'000 / kOutputRateHz), index);
    }
}

void ServerSession::on_tool_call(std::uint64_t number, ToolCall call) {
    if (!turn_ || turn_->number != number || turn_->cancelled->load()) return;
    // Ids are unique per connection; a resumed session continues the count.
    call.id = "function-call-" + std::to_string(id_) + "-" + std::to_string(++tool_calls_made_);
    turn_->pending_tool_ids.push_back(call.id);
    auto entry = tool_entry(HistoryEntry::Role::kToolCall, call.name, call.id);
    entry.tool_args = call.args;
    state_->history.push_back(std::move(entry));
    protocol::ToolCall message_call;
    protocol::FunctionCall function_call;
    function_call.id = call.id;
    function_call.name = call.name;
    function_call.args = call.args;
    message_call.function_calls.push_back(std::move(function_call));
    protocol::ServerMessage message;
    message.tool_call = std::move(message_call);
    send(message);
    log::info("session {}: tool call {} {} ({})", id_, call.name, call.args.dump(), call.id);
}

void ServerSession::on_tool_response(protocol::ToolResponse response) {
    bool answered = false;
    for (auto& function_response : response.function_responses) {
        const auto id = function_response.id.value_or("");
        auto* pending = turn_ ? &turn_->pending_tool_ids : nullptr;
        const auto it = pending ? std::find(pending->begin(), pending->end(), id)
                                : std::vector<std::string>::iterator{};
        if (!pending || it == pending->end()) {
            log::warn("session {}: toolResponse for unknown call id '{}' ignored", id_, id);
            continue;
        }
        pending->erase(it);
        auto entry = tool_entry(HistoryEntry::Role::kToolResponse, function_response.name, id);
        entry.tool_response = function_response.response;
        state_->history.push_back(std::move(entry));
        answered = true;
    }
    if (answered && turn_ && turn_->pending_tool_ids.empty() && !turn_->generating) {
        // The model goes on with the same turn, now knowing the result.
        turn_->generating = true;
        generate();
    }
}

void ServerSession::on_reply_done(std::uint64_t number, Status status) {
    if (!turn_ || turn_->number != number) return;
    turn_->generating = false;
    if (turn_->cancelled->load()) return;
    if (!status) {
        log::error("session {}: reply failed: {}", id_, status.error().message());
        fail(transport::kCloseInternalError, kInternal);
        return;
    }
    if (!turn_->pending_tool_ids.empty()) return;  // waiting for the toolResponse
    send(flag_message(&protocol::ServerContent::generation_complete));
    // turnComplete waits until the audio sent would have finished playing (§5, barge-in).
    const auto now = Clock::now();
    const auto end = turn_->clock.started() ? turn_->clock.playback_end() : now;
    const auto wait = std::max(milliseconds(0), duration_cast<milliseconds>(end - now));
    turn_->complete_timer = engines_.loop.schedule(wait, [weak = weak_from_this(), number] {
        if (auto self = weak.lock(); self && !self->finished_ && self->turn_ &&
                                     self->turn_->number == number) {
            self->complete_turn();
        }
    });
}

void ServerSession::complete_turn() {
    auto turn = std::move(turn_);
    const auto history_before = state_->history.size();
    if (!turn->text_sent.empty()) {
        state_->history.push_back(text_entry(HistoryEntry::Role::kModel, turn->text_sent));
    }
    ++state_->replies_completed;
    state_->history_after_reply = state_->history.size();
    state_->reply_entries = state_->history.size() - history_before;
    std::size_t history_chars = system_instruction_.size();
    for (const auto& entry : state_->history) history_chars += entry.text.size();
    const double audio_seconds =
        std::chrono::duration<double>(turn->clock.sent()).count();
    protocol::UsageMetadata usage;
    const auto prompt_tokens = static_cast<std::int32_t>(
        history_chars / kCharsPerToken + input_audio_seconds_ * kAudioTokensPerSecond);
    const auto response_tokens = static_cast<std::int32_t>(
        audio_out_ ? audio_seconds * kAudioTokensPerSecond
                   : static_cast<double>(turn->text_sent.size() / kCharsPerToken));
    usage.prompt_token_count = prompt_tokens;
    usage.response_token_count = response_tokens;
    usage.total_token_count = prompt_tokens + response_tokens;
    usage.response_tokens_details = std::vector<protocol::ModalityTokenCount>{
        {audio_out_ ? protocol::MediaModality::kAudio : protocol::MediaModality::kText,
         response_tokens}};
    protocol::ServerMessage message;
    message.server_content = protocol::ServerContent{};
    message.server_content->turn_complete = true;
    message.usage_metadata = std::move(usage);
    send(message);
    const auto first_ms = turn->any_output
                              ? duration_cast<milliseconds>(turn->first_output - turn->user_end).count()
                              : -1;
    log::info("session {}: turn {}: heard {} -> said {} (first output {} ms after the user's turn, "
              "{:.1f} s of audio)",
              id_, turn->number, quote(turn->heard), quote(turn->text_sent), first_ms,
              audio_seconds);
    if (resumable_) send_resumption_update();
    if (queued_user_text_) {
        auto text = std::move(*queued_user_text_);
        queued_user_text_.reset();
        UserTurn queued;
        queued.ended_at = Clock::now();
        on_user_text(std::move(text), std::move(queued));
    }
}

std::string ServerSession::played_text(Clock::time_point at) const {
    // What the user heard: whole sentences played, and the played share of the words of the
    // sentence playback stopped in.
    std::string heard;
    for (const auto& [mark, fraction] : turn_->clock.played_marks(at)) {
        if (mark >= turn_->sentences.size() || fraction <= 0) continue;
        const auto words = words_of(turn_->sentences[mark]);
        const auto keep = fraction >= 0.999
                              ? words.size()
                              : static_cast<std::size_t>(std::floor(fraction * words.size()));
        for (std::size_t i = 0; i < keep; ++i) {
            if (!heard.empty()) heard += ' ';
            heard += words[i];
        }
    }
    return heard;
}

void ServerSession::interrupt(const char* why) {
    if (!turn_) return;
    auto& turn = *turn_;
    turn.cancelled->store(true);
    turn.complete_timer.cancel();
    const auto now = Clock::now();
    if (!turn.pending_tool_ids.empty()) {
        protocol::ServerMessage cancellation;
        cancellation.tool_call_cancellation = protocol::ToolCallCancellation{turn.pending_tool_ids};
        send(cancellation);
        std::erase_if(state_->history, [&](const HistoryEntry& entry) {
            return entry.role == HistoryEntry::Role::kToolCall &&
                   std::find(turn.pending_tool_ids.begin(), turn.pending_tool_ids.end(),
                             entry.tool_call_id) != turn.pending_tool_ids.end();
        });
    }
    send(flag_message(&protocol::ServerContent::interrupted));
    send(flag_message(&protocol::ServerContent::turn_complete));
    const auto kept = audio_out_ ? played_text(now) : turn.text_sent;
    if (!kept.empty()) state_->history.push_back(text_entry(HistoryEntry::Role::kModel, kept));
    log::info("session {}: turn {} interrupted by {} after {:.1f} s of {:.1f} s of audio; kept {}",
              id_, turn.number, why,
              std::chrono::duration<double>(turn.clock.played_by(now)).count(),
              std::chrono::duration<double>(turn.clock.sent()).count(), quote(kept));
    turn_.reset();
    if (resumable_) send_resumption_update();
}

}  // namespace parley::server
