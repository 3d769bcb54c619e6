// SPDX-License-Identifier: Apache-2.0
#include "server_load_session.hpp"

#include "protocol/codec.hpp"
#include "transport/ws_client.hpp"

namespace parley::bench {
namespace {

constexpr const char* kLivePath =
    "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=bench";

}  // namespace

LoadSession::LoadSession(transport::EventLoop& loop, std::size_t index,
                         const std::vector<std::string>& silence, std::chrono::milliseconds chunk,
                         Handlers handlers)
    : loop_(loop),
      index_(index),
      silence_(silence),
      chunk_(chunk),
      handlers_(std::move(handlers)) {}

LoadSession::~LoadSession() = default;

void LoadSession::connect(const std::string& url, std::string setup,
                          std::function<void(std::string)> done) {
    transport::connect_ws(
        loop_, url + kLivePath, {}, {},
        [this, setup = std::move(setup),
         done = std::move(done)](Result<std::unique_ptr<transport::WsConnection>> result) mutable {
            if (!result) {
                closed_ = true;
                done(result.error().message());
                return;
            }
            connection_ = std::move(*result);
            transport::WsHandlers handlers;
            handlers.on_message = [this](transport::MessageKind, std::string payload) {
                on_payload(payload);
            };
            handlers.on_close = [this](const transport::CloseInfo& info) {
                closed_ = true;
                handlers_.on_event(*this, ServerEvent::kClosed, Clock::now(),
                                   "closed " + std::to_string(info.code) + " " + info.reason);
            };
            handlers.on_error = [this](std::error_code ec) {
                closed_ = true;
                handlers_.on_event(*this, ServerEvent::kClosed, Clock::now(), ec.message());
            };
            connection_->start(std::move(handlers));
            connection_->send_text(std::move(setup));
            done({});
        });
}

void LoadSession::start_mic(Clock::time_point start) {
    mic_on_ = true;
    mic_start_ = start;
    next_chunk_ = 0;
}

void LoadSession::say(const Prompt& prompt) {
    prompt_ = &prompt;
    prompt_at_ = 0;
}

std::chrono::microseconds LoadSession::pump(Clock::time_point now) {
    if (!mic_on_ || !open())
        return {};
    std::chrono::microseconds lateness{0};
    // Chunk n holds the audio of [n, n+1) chunks after the start, so it is due at its end.
    for (auto due = mic_start_ + chunk_ * (next_chunk_ + 1); due <= now;
         due = mic_start_ + chunk_ * (next_chunk_ + 1)) {
        if (lateness.count() == 0) {
            lateness = std::chrono::duration_cast<std::chrono::microseconds>(now - due);
        }
        ++next_chunk_;
        if (prompt_ == nullptr) {
            connection_->send_text(silence_[(index_ + next_chunk_) % silence_.size()]);
            continue;
        }
        const Prompt& prompt = *prompt_;
        connection_->send_text(prompt.chunks[prompt_at_]);
        const bool first = prompt_at_ == 0;
        const bool last = ++prompt_at_ == prompt.chunks.size();
        if (last)
            prompt_ = nullptr;
        if (first)
            handlers_.on_speech(*this, SpeechMark::kOnset, now);
        if (last)
            handlers_.on_speech(*this, SpeechMark::kEnd, now);
    }
    return lateness;
}

void LoadSession::send_text(std::string message) {
    if (open())
        connection_->send_text(std::move(message));
}

void LoadSession::close() {
    mic_on_ = false;
    if (connection_ && !closed_)
        connection_->close(transport::kCloseNormal, "done");
}

void LoadSession::on_payload(const std::string& payload) {
    const auto now = Clock::now();
    auto decoded = protocol::decode_server_message(payload);
    if (!decoded) {
        handlers_.on_event(*this, ServerEvent::kClosed, now,
                           "undecodable server message: " + decoded.error().message);
        return;
    }
    const auto& message = *decoded;
    static const std::string kNone;
    if (message.setup_complete)
        handlers_.on_event(*this, ServerEvent::kSetupComplete, now, kNone);
    if (!message.server_content)
        return;
    const auto& content = *message.server_content;
    if (content.input_transcription && content.input_transcription->text) {
        handlers_.on_event(*this, ServerEvent::kInputTranscription, now,
                           *content.input_transcription->text);
    }
    if (content.model_turn) {
        for (const auto& part : content.model_turn->parts) {
            if (part.inline_data) {
                handlers_.on_event(*this, ServerEvent::kAudio, now, kNone);
                break;
            }
        }
    }
    if (content.interrupted.value_or(false)) {
        handlers_.on_event(*this, ServerEvent::kInterrupted, now, kNone);
    }
    if (content.generation_complete.value_or(false)) {
        handlers_.on_event(*this, ServerEvent::kGenerationComplete, now, kNone);
    }
    if (content.turn_complete.value_or(false)) {
        handlers_.on_event(*this, ServerEvent::kTurnComplete, now, kNone);
    }
}

}  // namespace parley::bench
