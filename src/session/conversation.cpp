// SPDX-License-Identifier: Apache-2.0
// Conversation: barge-in policy, tools, metrics and transcript (see conversation.hpp).
#include "session/conversation.hpp"

#include <algorithm>
#include <tuple>

#include "base/log.hpp"
#include "dsp/error.hpp"
#include "dsp/frame.hpp"
#include "session/turn_text.hpp"

namespace parley::session {
namespace {

double samples_ms(std::uint64_t samples) {
    return dsp::samples_to_ms(static_cast<double>(samples), dsp::kOutputRateHz);
}

}  // namespace

Conversation::Conversation(device::Device& device, ConversationSink& sink)
    : device_(device), sink_(sink) {}

Conversation::~Conversation() {
    stop();
}

void Conversation::add_tool(protocol::FunctionDeclaration declaration, ToolFunction fn) {
    tools_[declaration.name] = std::move(fn);
    declarations_.push_back(std::move(declaration));
}

Status Conversation::start(ConversationConfig config, std::string* why) {
    config_ = std::move(config);
    for (const auto& declaration : declarations_) config_.session.functions.push_back(declaration);
    if (!device_.is_open()) {
        if (auto opened = device_.open(why); !opened)
            return opened;
    }
    ConversationDspConfig dsp_config{.echo_mode = config_.echo_mode,
                                     .echo_delay_ms = config_.echo_delay_ms,
                                     .render_depth_ms = config_.render_depth_ms,
                                     .record_path = config_.record_path};
    auto dsp = ConversationDsp::create(
        device_, player_, *this,
        [this](std::span<const std::int16_t> pcm) {
            if (session_)
                session_->send_audio(pcm);
        },
        dsp_config);
    if (!dsp) {
        if (why)
            *why = dsp.error() == dsp::DspError::kFileOpenForWriteFailed
                       ? config_.record_path + ": " + dsp.error().message()
                       : "cannot set up the audio processing: " + dsp.error().message();
        return tl::unexpected(dsp.error());
    }
    dsp_ = std::move(*dsp);
    loop_.start();
    session_ = std::make_unique<LiveSession>(*this, &loop_);
    if (auto connected = session_->connect(config_.session); !connected) {
        if (why)
            *why = "cannot start the session: " + connected.error().message();
        session_.reset();
        return connected;
    }
    if (auto started = device_.start(why); !started) {
        session_.reset();
        return started;
    }
    dsp_->start(&loop_);
    started_ = true;
    return {};
}

void Conversation::stop() {
    if (!started_)
        return;
    started_ = false;
    if (dsp_)
        dsp_->stop();
    device_.stop();
    if (session_)
        session_->close();
    session_.reset();
    loop_.stop();
    std::vector<ConversationEvent> out;
    {
        std::lock_guard lock(mutex_);
        finish_lines_in_progress(out);
    }
    for (const auto& event : out) sink_.on_event(event);
}

double Conversation::now_ms() const {
    return dsp_ ? dsp_->now_ms() : 0.0;
}

std::vector<TranscriptLine> Conversation::transcript() const {
    std::lock_guard lock(mutex_);
    return lines_;
}

std::vector<TurnMetrics> Conversation::metrics() const {
    std::lock_guard lock(mutex_);
    return metrics_;
}

std::vector<double> Conversation::barge_in_silences_ms() const {
    std::lock_guard lock(mutex_);
    return silences_ms_;
}

SessionStats Conversation::session_stats() const {
    return session_ ? session_->stats() : SessionStats{};
}

bool Conversation::model_playing() const {
    return player_.queued_samples() > 0 ||
           (dsp_ && dsp_->render_depth_ms() > 0 && player_.current_turn().has_value());
}

std::optional<double> Conversation::mic_level_dbfs() const {
    if (!dsp_)
        return std::nullopt;
    return dsp_->mic_level_dbfs();
}

void Conversation::emit(ConversationEvent event) {
    loop_.post([this, event = std::move(event)] { sink_.on_event(event); });
}

Conversation::ModelTurn& Conversation::model_turn(TurnId turn) {
    auto& entry = turns_[turn];
    entry.metrics.turn = turn;
    return entry;
}

void Conversation::flush_user_line(TurnId turn, std::vector<ConversationEvent>& out,
                                   bool incomplete) {
    if (user_text_.empty())
        return;
    const auto [start_ms, end_ms] = user_line_span();
    user_line_span_.reset();
    TranscriptLine line{.who = "user",
                        .text = trim_text(user_text_),
                        .start_ms = start_ms,
                        .end_ms = end_ms,
                        .interrupted = false,
                        .turn = turn,
                        .incomplete = incomplete};
    user_text_.clear();
    if (line.text.empty())
        return;
    lines_.push_back(line);
    out.push_back({.type = ConversationEventType::kTranscript,
                   .at_ms = now_ms(),
                   .turn = turn,
                   .line = line});
}

void Conversation::finish_model_turn(TurnId turn, bool interrupted,
                                     std::vector<ConversationEvent>& out) {
    auto& entry = model_turn(turn);
    if (entry.finished)
        return;
    entry.finished = true;
    flush_user_line(turn, out);
    const auto playback = player_.playback(turn);
    auto& metrics = entry.metrics;
    metrics.interrupted = interrupted;
    metrics.generated_ms = playback ? samples_ms(playback->pushed_samples) : 0.0;
    metrics.played_ms = playback ? samples_ms(playback->played_samples) : 0.0;
    if (!interrupted)
        metrics.played_ms = metrics.generated_ms;  // it plays to the end
    metrics_.push_back(metrics);
    out.push_back({.type = ConversationEventType::kModelTurnEnded,
                   .at_ms = now_ms(),
                   .turn = turn,
                   .metrics = metrics});
    if (entry.text.empty())
        return;
    const double fraction =
        metrics.generated_ms > 0 ? metrics.played_ms / metrics.generated_ms : 1.0;
    const double start = entry.heard_ms >= 0 ? entry.heard_ms : now_ms();
    TranscriptLine line{
        .who = "model",
        .text = interrupted ? cut_text(entry.text, fraction) : trim_text(entry.text),
        .start_ms = start,
        .end_ms = start + metrics.played_ms,
        .interrupted = interrupted,
        .turn = turn};
    lines_.push_back(line);
    out.push_back({.type = ConversationEventType::kTranscript,
                   .at_ms = now_ms(),
                   .turn = turn,
                   .line = line});
}

void Conversation::finish_lines_in_progress(std::vector<ConversationEvent>& out) {
    TurnId first_open = 0;
    for (const auto& [turn, entry] : turns_) {
        if (!entry.finished && !entry.text.empty()) {
            first_open = turn;
            break;
        }
    }
    flush_user_line(first_open, out, /*incomplete=*/true);
    const double now = now_ms();
    for (auto& [turn, entry] : turns_) {
        if (entry.finished || entry.text.empty())
            continue;
        entry.finished = true;
        // What was heard of it: the text cut in proportion to the audio played.
        const auto playback = player_.playback(turn);
        const double generated = playback ? samples_ms(playback->pushed_samples) : 0.0;
        const double played = playback ? samples_ms(playback->played_samples) : 0.0;
        const double fraction = generated > 0 ? std::clamp(played / generated, 0.0, 1.0) : 0.0;
        if (fraction <= 0.0)
            continue;  // none of it was heard: the transcript is what was heard
        const double start = entry.heard_ms >= 0 ? entry.heard_ms : now;
        TranscriptLine line{.who = "model",
                            .text = cut_text(entry.text, fraction),
                            .start_ms = start,
                            .end_ms = start + played,
                            .interrupted = false,
                            .turn = turn,
                            .incomplete = true};
        lines_.push_back(line);
        out.push_back(
            {.type = ConversationEventType::kTranscript, .at_ms = now, .turn = turn, .line = line});
    }
}

std::pair<double, double> Conversation::user_line_span() const {
    if (user_line_span_)
        return *user_line_span_;
    const double start = std::max(0.0, user_start_ms_);
    return {start, std::max(start, user_end_ms_)};
}

ConversationEvent Conversation::partial_event(const std::string& who, TurnId turn) {
    TranscriptLine line;
    line.who = who;
    line.turn = turn;
    if (who == "user") {
        line.text = trim_text(user_text_);
        std::tie(line.start_ms, line.end_ms) = user_line_span();
    } else {
        const auto& entry = model_turn(turn);
        line.text = trim_text(entry.text);
        line.start_ms = entry.heard_ms >= 0 ? entry.heard_ms : now_ms();
        line.end_ms = line.start_ms;
    }
    return {.type = ConversationEventType::kTranscriptPartial,
            .at_ms = now_ms(),
            .turn = turn,
            .line = std::move(line)};
}

// --- io ---------------------------------------------------------------------------------

void Conversation::on_setup_complete(const protocol::SetupComplete& /*complete*/) {
    sink_.on_event({.type = ConversationEventType::kReady, .at_ms = now_ms()});
}

void Conversation::on_audio(AudioChunk chunk) {
    if (chunk.rate_hz != dsp::kOutputRateHz) {
        chunk.samples = dsp::resample(chunk.samples, chunk.rate_hz, dsp::kOutputRateHz);
    }
    (void)player_.push(chunk.turn, chunk.samples);
}

void Conversation::on_input_transcription(const Transcript& transcript) {
    ConversationEvent partial;
    {
        std::lock_guard lock(mutex_);
        user_text_ += transcript.text;
        partial = partial_event("user", 0);
    }
    if (!partial.line->text.empty())
        sink_.on_event(partial);
}

void Conversation::on_output_transcription(TurnId turn, const Transcript& transcript) {
    ConversationEvent partial;
    {
        std::lock_guard lock(mutex_);
        auto& entry = model_turn(turn);
        if (entry.finished)
            return;  // a late fragment of a turn already ended (interrupted)
        entry.text += transcript.text;
        partial = partial_event("model", turn);
    }
    if (!partial.line->text.empty())
        sink_.on_event(partial);
}

void Conversation::on_turn_complete(const TurnComplete& complete) {
    std::vector<ConversationEvent> out;
    {
        std::lock_guard lock(mutex_);
        if (complete.turn != 0) {
            finish_model_turn(complete.turn, false, out);
        } else {
            flush_user_line(0, out);
        }
    }
    for (const auto& event : out) sink_.on_event(event);
}

void Conversation::on_interrupted(TurnId turn) {
    player_.flush(turn);
    if (dsp_)
        dsp_->request_render_flush();
    std::vector<ConversationEvent> out;
    {
        std::lock_guard lock(mutex_);
        if (paused_) {
            paused_ = false;
            player_.resume();  // the paused turn is gone; what comes next plays
        } else {
            barge_onset_ms_ = user_speaking_ ? user_start_ms_ : now_ms();
            measuring_silence_ = true;
        }
        barge_turn_ = turn;
        out.push_back(
            {.type = ConversationEventType::kInterrupted, .at_ms = now_ms(), .turn = turn});
        finish_model_turn(turn, true, out);
    }
    for (const auto& event : out) sink_.on_event(event);
}

void Conversation::on_tool_call(const std::vector<protocol::FunctionCall>& calls) {
    std::vector<protocol::FunctionResponse> responses;
    for (const auto& call : calls) {
        protocol::FunctionResponse response{.id = call.id, .name = call.name};
        const auto found = tools_.find(call.name);
        std::string result_text;
        if (found == tools_.end()) {
            response.response = {{"error", "no function named " + call.name}};
            result_text = "unknown function";
        } else {
            const auto args = nlohmann::json::parse(call.args.dump(), nullptr, false);
            const nlohmann::json result = found->second(args);
            response.response = {{"output", protocol::Json::parse(result.dump())}};
            result_text = result.dump();
        }
        sink_.on_event({.type = ConversationEventType::kToolCall,
                        .at_ms = now_ms(),
                        .text = call.name + "(" + call.args.dump() + ") -> " + result_text});
        responses.push_back(std::move(response));
    }
    if (session_)
        session_->send_tool_response(std::move(responses));
}

void Conversation::on_go_away(std::chrono::milliseconds time_left) {
    sink_.on_event({.type = ConversationEventType::kGoAway,
                    .at_ms = now_ms(),
                    .text = std::to_string(time_left.count()) + " ms"});
}

void Conversation::on_reconnecting(const Reconnecting& reconnecting) {
    sink_.on_event({.type = ConversationEventType::kReconnecting,
                    .at_ms = now_ms(),
                    .text = reconnecting.message,
                    .reconnecting = reconnecting});
}

void Conversation::on_resumed(const Resumed& resumed) {
    sink_.on_event(
        {.type = ConversationEventType::kResumed, .at_ms = now_ms(), .resumed = resumed});
}

void Conversation::on_closed(const SessionClosed& closed) {
    sink_.on_event({.type = ConversationEventType::kClosed,
                    .at_ms = now_ms(),
                    .text = closed.error ? closed.message : std::string{}});
}

// --- dsp --------------------------------------------------------------------------------

void Conversation::on_speech_start(double onset_ms, double now) {
    std::lock_guard lock(mutex_);
    // The words heard so far wait for their turn to end (a barge-in ends it now): they keep the
    // times of the speech they were said in.
    if (!user_text_.empty() && !user_line_span_)
        user_line_span_ = user_line_span();
    user_speaking_ = true;
    user_start_ms_ = onset_ms;
    const auto playing = player_.current_turn();
    if (playing && !player_.paused()) {
        player_.pause();
        paused_ = true;
        pause_ms_ = now;
        barge_onset_ms_ = onset_ms;
        barge_turn_ = *playing;
        measuring_silence_ = true;
        emit({.type = ConversationEventType::kBargeIn, .at_ms = onset_ms, .turn = *playing});
    } else {
        emit({.type = ConversationEventType::kUserSpeechStarted, .at_ms = onset_ms});
    }
}

void Conversation::on_speech_end(double end_ms, double /*now*/) {
    std::lock_guard lock(mutex_);
    user_speaking_ = false;
    user_end_ms_ = end_ms;
    emit({.type = ConversationEventType::kUserSpeechEnded, .at_ms = end_ms});
}

void Conversation::on_turn_audible(dsp::TurnId turn, double heard_ms) {
    std::lock_guard lock(mutex_);
    auto& entry = model_turn(turn);
    if (entry.heard_ms >= 0)
        return;
    entry.heard_ms = heard_ms;
    if (user_end_ms_ >= 0 && user_end_ms_ < heard_ms) {
        entry.metrics.response_latency_ms = heard_ms - user_end_ms_;
    }
    emit({.type = ConversationEventType::kModelAudible, .at_ms = heard_ms, .turn = turn});
}

void Conversation::on_output_silent(double heard_ms) {
    std::lock_guard lock(mutex_);
    if (!measuring_silence_)
        return;
    measuring_silence_ = false;
    const double silence = heard_ms - barge_onset_ms_;
    auto& metrics = model_turn(barge_turn_).metrics;
    metrics.barge_in_silence_ms = silence;
    for (auto& m : metrics_) {
        if (m.turn == barge_turn_)
            m.barge_in_silence_ms = silence;
    }
    silences_ms_.push_back(silence);
}

void Conversation::on_tick(double now) {
    std::lock_guard lock(mutex_);
    if (!paused_ || now - pause_ms_ < static_cast<double>(config_.barge_in_confirm.count())) {
        return;
    }
    paused_ = false;
    measuring_silence_ = false;
    player_.resume();
    emit({.type = ConversationEventType::kBargeInResumed, .at_ms = now, .turn = barge_turn_});
}

}  // namespace parley::session
