// SPDX-License-Identifier: Apache-2.0
// OpenAiBrain against a scripted HTTP peer on loopback. No LLM server can run on these machines,
// so the peer here plays one: it records the request and answers with a canned chat-completions
// stream (the mock stands in for llama.cpp / Ollama / vLLM only).
#include "server/openai_brain.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "server/engine_error.hpp"

namespace parley::server {
namespace {

using Json = nlohmann::ordered_json;

// Accepts one connection, reads one request, answers with `response` (raw bytes after the
// status line and headers it writes), and hands the request body back.
class ScriptedPeer {
public:
    ScriptedPeer(int status, std::string body) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        EXPECT_EQ(::listen(listener_, 1), 0);
        socklen_t length = sizeof address;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this, status, body = std::move(body)] { serve(status, body); });
    }
    ~ScriptedPeer() {
        thread_.join();
        ::close(listener_);
    }
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
    std::string request() { return request_.get_future().get(); }

private:
    void serve(int status, const std::string& body) {
        const int connection = ::accept(listener_, nullptr, nullptr);
        std::string received;
        char buffer[4096];
        std::size_t wanted = std::string::npos;
        while (wanted == std::string::npos || received.size() < wanted) {
            const auto n = ::read(connection, buffer, sizeof buffer);
            if (n <= 0) break;
            received.append(buffer, static_cast<std::size_t>(n));
            const auto head_end = received.find("\r\n\r\n");
            if (head_end != std::string::npos && wanted == std::string::npos) {
                const auto at = received.find("Content-Length: ");
                const auto length = at == std::string::npos ? 0 : std::stoul(received.substr(at + 16));
                wanted = head_end + 4 + length;
            }
        }
        request_.set_value(received);
        // Chunked, one chunk per stream line, as streaming servers send them.
        std::string response = "HTTP/1.1 " + std::to_string(status) +
                               " X\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        std::size_t from = 0;
        while (from < body.size()) {
            auto end = body.find('\n', from);
            end = end == std::string::npos ? body.size() : end + 1;
            char size[16];
            std::snprintf(size, sizeof size, "%zx\r\n", end - from);
            response += size + body.substr(from, end - from) + "\r\n";
            from = end;
        }
        response += "0\r\n\r\n";
        (void)::write(connection, response.data(), response.size());
        ::close(connection);
    }

    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::promise<std::string> request_;
};

class RecordingSink final : public BrainSink {
public:
    void on_text(std::string_view chunk) override { text += chunk; }
    void on_tool_call(ToolCall call) override { calls.push_back(std::move(call)); }
    std::string text;
    std::vector<ToolCall> calls;
};

std::string delta_line(const Json& delta) {
    return "data: " + Json{{"choices", Json::array({{{"index", 0}, {"delta", delta}}})}}.dump() + "\n\n";
}

TEST(OpenAiBrain, StreamsTextAndPassesInstructionHistoryAndTools) {
    ScriptedPeer peer(200, delta_line({{"role", "assistant"}}) + delta_line({{"content", "Twelve times "}}) +
                               delta_line({{"content", "seven is eighty four."}}) + "data: [DONE]\n\n");
    OpenAiBrain brain({.url = peer.url(), .model = "llama", .api_key = "sk-test", .timeout = std::chrono::seconds(5)});
    BrainRequest request;
    request.system_instruction = "Be brief.";
    request.history = {HistoryEntry::user("hello"), HistoryEntry::model("Hi."),
                       HistoryEntry::user("what is twelve times seven")};
    request.tools = {{"get_weather", "weather for a city",
                      Json::parse(R"({"type":"OBJECT","properties":{"city":{"type":"STRING"}}})")}};
    RecordingSink sink;
    std::atomic<bool> cancelled{false};
    ASSERT_TRUE(brain.reply(request, sink, cancelled));
    EXPECT_EQ(sink.text, "Twelve times seven is eighty four.");

    const auto raw = peer.request();
    EXPECT_TRUE(raw.starts_with("POST /v1/chat/completions HTTP/1.1\r\n")) << raw.substr(0, 80);
    EXPECT_NE(raw.find("Authorization: Bearer sk-test"), std::string::npos);
    const auto body = Json::parse(raw.substr(raw.find("\r\n\r\n") + 4));
    EXPECT_EQ(body["model"], "llama");
    EXPECT_EQ(body["stream"], true);
    ASSERT_EQ(body["messages"].size(), 4u);
    EXPECT_EQ(body["messages"][0], Json({{"role", "system"}, {"content", "Be brief."}}));
    EXPECT_EQ(body["messages"][2], Json({{"role", "assistant"}, {"content", "Hi."}}));
    EXPECT_EQ(body["messages"][3]["content"], "what is twelve times seven");
    EXPECT_EQ(body["tools"][0]["function"]["name"], "get_weather");
    EXPECT_EQ(body["tools"][0]["function"]["parameters"]["properties"]["city"]["type"], "string");
}

TEST(OpenAiBrain, ToolCallDeltasBecomeOneToolCall) {
    ScriptedPeer peer(200,
                      delta_line({{"tool_calls", Json::array({{{"index", 0}, {"id", "call_1"},
                                                               {"function", {{"name", "get_weather"}, {"arguments", "{\"ci"}}}}})}}) +
                          delta_line({{"tool_calls", Json::array({{{"index", 0}, {"function", {{"arguments", "ty\":\"paris\"}"}}}}})}}) +
                          "data: [DONE]\n\n");
    OpenAiBrain brain({.url = peer.url(), .model = "m", .api_key = "", .timeout = std::chrono::seconds(5)});
    RecordingSink sink;
    std::atomic<bool> cancelled{false};
    BrainRequest request;
    request.history = {HistoryEntry::user("get the weather in paris")};
    ASSERT_TRUE(brain.reply(request, sink, cancelled));
    ASSERT_EQ(sink.calls.size(), 1u);
    EXPECT_EQ(sink.calls[0].name, "get_weather");
    EXPECT_EQ(sink.calls[0].args, Json({{"city", "paris"}}));
    EXPECT_EQ(peer.request().find("Authorization"), std::string::npos);
}

TEST(OpenAiBrain, ToolHistoryIsSentInTheChatFormat) {
    OpenAiBrain brain({.url = "http://127.0.0.1:9/v1/", .model = "m", .api_key = "", .timeout = std::chrono::seconds(1)});
    BrainRequest request;
    request.history = {HistoryEntry::user("get the weather in paris"),
                       HistoryEntry::tool_call("get_weather", "call-7", {{"city", "paris"}}),
                       HistoryEntry::tool_result("get_weather", "call-7", {{"output", "sunny"}})};
    const auto body = brain.request_body(request);
    EXPECT_EQ(body["messages"][1]["tool_calls"][0]["id"], "call-7");
    EXPECT_EQ(body["messages"][1]["tool_calls"][0]["function"]["arguments"], R"({"city":"paris"})");
    EXPECT_EQ(body["messages"][2], Json({{"role", "tool"}, {"tool_call_id", "call-7"}, {"content", R"({"output":"sunny"})"}}));
}

TEST(OpenAiBrain, RefusalsAndUnreachableEndpointsAreBrainFailures) {
    {
        ScriptedPeer peer(500, "{\"error\":\"model not loaded\"}\n");
        OpenAiBrain brain({.url = peer.url(), .model = "m", .api_key = "", .timeout = std::chrono::seconds(5)});
        RecordingSink sink;
        std::atomic<bool> cancelled{false};
        const auto status = brain.reply({.system_instruction = "", .history = {HistoryEntry::user("hi")}, .tools = {}},
                                        sink, cancelled);
        ASSERT_FALSE(status);
        EXPECT_EQ(status.error(), make_error_code(EngineError::kBrainFailed));
    }
    OpenAiBrain nowhere({.url = "http://127.0.0.1:9/v1", .model = "m", .api_key = "", .timeout = std::chrono::seconds(2)});
    RecordingSink sink;
    std::atomic<bool> cancelled{false};
    const auto status = nowhere.reply({.system_instruction = "", .history = {HistoryEntry::user("hi")}, .tools = {}},
                                      sink, cancelled);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), make_error_code(EngineError::kBrainFailed));
}

}  // namespace
}  // namespace parley::server
