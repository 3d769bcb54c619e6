// SPDX-License-Identifier: Apache-2.0
#include "live_test_client.hpp"

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "protocol/codec.hpp"
#include "transport/ws_client.hpp"

namespace parley::test {

using namespace std::chrono_literals;

TurnSummary summarize(const std::vector<Received>& messages, std::size_t from, std::size_t to) {
    TurnSummary out;
    for (std::size_t i = from; i < messages.size() && i <= to; ++i) {
        const auto& m = messages[i].message;
        if (m.server_content) {
            const auto& sc = *m.server_content;
            if (sc.model_turn) {
                for (const auto& part : sc.model_turn->parts) {
                    if (part.inline_data) {
                        out.audio_seconds += part.inline_data->data.size() / 2.0 / 24000.0;
                        ++out.audio_chunks;
                        out.order.push_back("audio");
                    }
                    if (part.text && !part.thought.value_or(false)) {
                        out.text += *part.text;
                        out.order.push_back("text");
                    }
                }
            }
            if (sc.input_transcription && sc.input_transcription->text) {
                out.input_text += *sc.input_transcription->text;
            }
            if (sc.output_transcription && sc.output_transcription->text) {
                out.output_text += *sc.output_transcription->text;
            }
            if (sc.generation_complete.value_or(false)) {
                out.generation_complete = true;
                out.order.push_back("generationComplete");
            }
            if (sc.interrupted.value_or(false)) {
                out.interrupted = true;
                out.order.push_back("interrupted");
            }
            if (sc.turn_complete.value_or(false)) {
                out.turn_complete = true;
                out.order.push_back("turnComplete");
            }
        }
        if (m.tool_call) {
            for (const auto& call : m.tool_call->function_calls) out.tool_calls.push_back(call);
            out.order.push_back("toolCall");
        }
    }
    return out;
}

std::unique_ptr<LiveTestClient> LiveTestClient::connect(std::uint16_t port,
                                                        const protocol::Setup& setup,
                                                        bool expect_setup_complete) {
    auto client = connect_without_setup(port);
    if (!client) return nullptr;
    client->send(setup);
    if (expect_setup_complete) {
        const auto done = client->wait_message([](const auto& m) { return m.setup_complete.has_value(); });
        if (!done) ADD_FAILURE() << "no setupComplete";
    }
    return client;
}

std::unique_ptr<LiveTestClient> LiveTestClient::connect_without_setup(std::uint16_t port) {
    std::unique_ptr<LiveTestClient> client(new LiveTestClient());
    client->loop_.start();
    std::promise<Result<std::unique_ptr<transport::WsConnection>>> connected;
    transport::connect_ws(
        client->loop_,
        "ws://127.0.0.1:" + std::to_string(port) +
            "//ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=test-key",
        {}, {}, [&](Result<std::unique_ptr<transport::WsConnection>> result) {
            connected.set_value(std::move(result));
        });
    auto result = connected.get_future().get();
    if (!result) {
        ADD_FAILURE() << "connect failed: " << result.error().message();
        return nullptr;
    }
    client->connection_ = std::move(*result);
    auto* raw = client.get();
    transport::WsHandlers handlers;
    handlers.on_message = [raw](transport::MessageKind, std::string payload) {
        auto decoded = protocol::decode_server_message(payload);
        std::lock_guard lock(raw->mutex_);
        if (decoded) {
            raw->messages_.push_back({std::chrono::steady_clock::now(), std::move(*decoded)});
        } else {
            raw->decode_errors_.push_back(decoded.error().message);
        }
        raw->changed_.notify_all();
    };
    handlers.on_close = [raw](const transport::CloseInfo& info) {
        std::lock_guard lock(raw->mutex_);
        raw->closed_ = info;
        raw->changed_.notify_all();
    };
    handlers.on_error = [raw](std::error_code ec) {
        std::lock_guard lock(raw->mutex_);
        raw->closed_ = transport::CloseInfo{1006, ec.message(), true};
        raw->changed_.notify_all();
    };
    client->connection_->start(std::move(handlers));
    return client;
}

LiveTestClient::~LiveTestClient() {
    loop_.post([this] { connection_.reset(); });
    std::this_thread::sleep_for(10ms);
    loop_.stop();
    connection_.reset();
}

void LiveTestClient::send(const protocol::ClientMessage& message) {
    connection_->send_text(protocol::encode_client_message(message));
}

void LiveTestClient::send_raw(std::string text) { connection_->send_text(std::move(text)); }

void LiveTestClient::send_audio(std::span<const int16_t> pcm, std::chrono::milliseconds chunk,
                                bool paced) {
    const std::size_t samples = 16 * static_cast<std::size_t>(chunk.count());
    const auto start = std::chrono::steady_clock::now();
    std::size_t n = 0;
    for (std::size_t at = 0; at < pcm.size(); at += samples, ++n) {
        const auto count = std::min(samples, pcm.size() - at);
        protocol::Blob blob;
        blob.mime_type = "audio/pcm;rate=16000";
        blob.data.resize(count * 2);
        for (std::size_t i = 0; i < count; ++i) {
            const auto s = static_cast<uint16_t>(pcm[at + i]);
            blob.data[2 * i] = static_cast<uint8_t>(s & 0xff);
            blob.data[2 * i + 1] = static_cast<uint8_t>(s >> 8);
        }
        send(protocol::RealtimeInput{protocol::AudioInput{std::move(blob)}});
        if (paced) std::this_thread::sleep_until(start + chunk * (n + 1));
    }
}

void LiveTestClient::send_text_turn(const std::string& text) {
    protocol::ClientContent content;
    content.turns = std::vector<protocol::Content>{protocol::text_content(text, "user")};
    content.turn_complete = true;
    send(content);
}

void LiveTestClient::drop() {
    std::promise<void> dropped;
    loop_.post([&] {
        connection_.reset();
        dropped.set_value();
    });
    dropped.get_future().wait();
}

bool LiveTestClient::wait_for(const std::function<bool(const std::vector<Received>&)>& done,
                              std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(messages_); });
}

std::optional<std::size_t> LiveTestClient::wait_message(
    const std::function<bool(const protocol::ServerMessage&)>& match, std::size_t from,
    std::chrono::milliseconds timeout) {
    std::optional<std::size_t> found;
    wait_for(
        [&](const std::vector<Received>& messages) {
            for (std::size_t i = from; i < messages.size(); ++i) {
                if (match(messages[i].message)) {
                    found = i;
                    return true;
                }
            }
            return false;
        },
        timeout);
    return found;
}

std::optional<TurnSummary> LiveTestClient::next_turn(std::size_t from,
                                                     std::chrono::milliseconds timeout) {
    const auto end = wait_message(
        [](const auto& m) { return m.server_content && m.server_content->turn_complete.value_or(false); },
        from, timeout);
    if (!end) return std::nullopt;
    std::lock_guard lock(mutex_);
    return summarize(messages_, from, *end);
}

std::optional<transport::CloseInfo> LiveTestClient::wait_closed(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return closed_.has_value(); });
    return closed_;
}

std::vector<Received> LiveTestClient::messages() {
    std::lock_guard lock(mutex_);
    return messages_;
}

std::size_t LiveTestClient::count() {
    std::lock_guard lock(mutex_);
    return messages_.size();
}

protocol::Setup transcribed_setup() {
    protocol::Setup setup;
    setup.model = "models/gemini-2.5-flash-native-audio-preview-09-2025";
    setup.input_audio_transcription = protocol::AudioTranscriptionConfig{};
    setup.output_audio_transcription = protocol::AudioTranscriptionConfig{};
    return setup;
}

}  // namespace parley::test
