// SPDX-License-Identifier: Apache-2.0
#include "server/openai_brain.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "base/log.hpp"
#include "server/engine_error.hpp"
#include "transport/http_client.hpp"

namespace parley::server {
namespace {

using Json = nlohmann::ordered_json;

// The Live API writes schema types in upper case (OpenAPI style: "OBJECT", "STRING"); JSON
// Schema, which chat-completions endpoints expect, writes them in lower case.
Json lower_schema_types(Json schema) {
    if (schema.is_object()) {
        for (auto& [key, value] : schema.items()) {
            if (key == "type" && value.is_string()) {
                auto type = value.get<std::string>();
                std::transform(type.begin(), type.end(), type.begin(),
                               [](unsigned char c) { return std::tolower(c); });
                value = type;
            } else {
                value = lower_schema_types(std::move(value));
            }
        }
    } else if (schema.is_array()) {
        for (auto& item : schema) item = lower_schema_types(std::move(item));
    }
    return schema;
}

struct PendingCall {
    std::string id;
    std::string name;
    std::string arguments;
};

// Reads "data: {...}" lines of a server-sent-events stream as they arrive.
class ChatStream {
public:
    ChatStream(BrainSink& sink, const std::atomic<bool>& cancelled)
        : sink_(sink), cancelled_(cancelled) {}

    bool on_data(std::string_view bytes) {
        buffer_.append(bytes);
        for (auto end = buffer_.find('\n'); end != std::string::npos; end = buffer_.find('\n')) {
            auto line = buffer_.substr(0, end);
            buffer_.erase(0, end + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (!on_line(line)) return false;
        }
        return !cancelled_.load();
    }

    // Hands the accumulated tool calls to the sink, in index order.
    void finish() {
        for (auto& [index, call] : calls_) {
            ToolCall made;
            made.id = call.id;
            made.name = call.name;
            made.args = Json::parse(call.arguments.empty() ? "{}" : call.arguments, nullptr, false);
            if (made.args.is_discarded() || !made.args.is_object()) made.args = Json::object();
            sink_.on_tool_call(std::move(made));
        }
    }

    [[nodiscard]] const std::string& problem() const { return problem_; }
    [[nodiscard]] bool done() const { return done_; }

private:
    bool on_line(const std::string& line) {
        if (!line.starts_with("data:")) return true;  // comments, event names, blank lines
        auto data = std::string_view(line).substr(5);
        while (!data.empty() && data.front() == ' ') data.remove_prefix(1);
        if (data == "[DONE]") {
            done_ = true;
            return false;
        }
        const auto chunk = Json::parse(data, nullptr, false);
        if (chunk.is_discarded() || !chunk.is_object()) {
            problem_ = "the endpoint sent a stream line that is not JSON";
            return false;
        }
        if (chunk.contains("error")) {
            problem_ = "the endpoint reported: " + chunk["error"].dump();
            return false;
        }
        if (!chunk.contains("choices") || !chunk["choices"].is_array()) return true;
        for (const auto& choice : chunk["choices"]) {
            if (!choice.is_object() || !choice.contains("delta")) continue;
            const auto& delta = choice["delta"];
            if (delta.contains("content") && delta["content"].is_string()) {
                sink_.on_text(delta["content"].get_ref<const std::string&>());
            }
            if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
                for (const auto& part : delta["tool_calls"]) add_call_part(part);
            }
        }
        return true;
    }

    void add_call_part(const Json& part) {
        const int index = part.value("index", 0);
        auto& call = calls_[index];
        if (part.contains("id") && part["id"].is_string()) call.id = part["id"];
        if (part.contains("function") && part["function"].is_object()) {
            const auto& function = part["function"];
            if (function.contains("name") && function["name"].is_string()) {
                call.name += function["name"].get<std::string>();
            }
            if (function.contains("arguments") && function["arguments"].is_string()) {
                call.arguments += function["arguments"].get<std::string>();
            }
        }
    }

    BrainSink& sink_;
    const std::atomic<bool>& cancelled_;
    std::string buffer_;
    std::map<int, PendingCall> calls_;
    std::string problem_;
    bool done_ = false;
};

}  // namespace

OpenAiBrain::OpenAiBrain(OpenAiBrainOptions options) : options_(std::move(options)) {
    endpoint_ = options_.url;
    while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
    if (!endpoint_.ends_with("/chat/completions")) endpoint_ += "/chat/completions";
}

Json OpenAiBrain::request_body(const BrainRequest& request) const {
    Json messages = Json::array();
    if (!request.system_instruction.empty()) {
        messages.push_back({{"role", "system"}, {"content", request.system_instruction}});
    }
    for (const auto& entry : request.history) {
        switch (entry.role) {
            case HistoryEntry::Role::kUser:
                messages.push_back({{"role", "user"}, {"content", entry.text}});
                break;
            case HistoryEntry::Role::kModel:
                messages.push_back({{"role", "assistant"}, {"content", entry.text}});
                break;
            case HistoryEntry::Role::kToolCall:
                messages.push_back(
                    {{"role", "assistant"},
                     {"content", nullptr},
                     {"tool_calls",
                      Json::array({{{"id", entry.tool_call_id},
                                    {"type", "function"},
                                    {"function",
                                     {{"name", entry.tool_name},
                                      {"arguments", entry.tool_args.dump()}}}}})}});
                break;
            case HistoryEntry::Role::kToolResponse:
                messages.push_back({{"role", "tool"},
                                    {"tool_call_id", entry.tool_call_id},
                                    {"content", entry.tool_response.dump()}});
                break;
        }
    }
    Json body = {{"model", options_.model}, {"messages", std::move(messages)}, {"stream", true}};
    if (!request.tools.empty()) {
        Json tools = Json::array();
        for (const auto& tool : request.tools) {
            Json function = {{"name", tool.name}, {"description", tool.description}};
            function["parameters"] = tool.parameters.is_null()
                                         ? Json{{"type", "object"}, {"properties", Json::object()}}
                                         : lower_schema_types(tool.parameters);
            tools.push_back({{"type", "function"}, {"function", std::move(function)}});
        }
        body["tools"] = std::move(tools);
    }
    return body;
}

Status OpenAiBrain::reply(const BrainRequest& request, BrainSink& sink,
                          const std::atomic<bool>& cancelled) {
    transport::HttpRequest http;
    http.method = "POST";
    http.url = endpoint_;
    http.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
    if (!options_.api_key.empty()) {
        http.headers.emplace_back("Authorization", "Bearer " + options_.api_key);
    }
    http.body = request_body(request).dump();
    http.timeout = options_.timeout;

    ChatStream stream(sink, cancelled);
    int status = 0;
    std::string error_body;
    transport::HttpClient client;
    transport::HttpStreamHandlers handlers;
    handlers.on_head = [&](int code, const transport::Headers&) {
        status = code;
        return true;
    };
    handlers.on_data = [&](std::string_view bytes) {
        if (status != 200) {
            if (error_body.size() < 300) error_body.append(bytes.substr(0, 300));
            return true;
        }
        return stream.on_data(bytes);
    };
    const auto sent = client.request_stream(http, handlers);
    if (cancelled.load()) return fail(EngineError::kCancelled);
    if (!sent) {
        log::error("brain: {} unreachable: {}", log::redact(endpoint_), sent.error().message());
        return fail(EngineError::kBrainFailed);
    }
    if (status != 200) {
        log::error("brain: {} answered HTTP {}: {}", log::redact(endpoint_), status,
                   log::redact(error_body));
        return fail(EngineError::kBrainFailed);
    }
    if (!stream.problem().empty()) {
        log::error("brain: {}: {}", log::redact(endpoint_), stream.problem());
        return fail(EngineError::kBrainFailed);
    }
    stream.finish();
    return {};
}

}  // namespace parley::server
