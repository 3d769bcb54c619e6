// SPDX-License-Identifier: Apache-2.0
// Brain: what writes the model's replies in the local server, behind one interface: the
// built-in rules (BuiltinBrain) or, later, an OpenAI-compatible streamed chat endpoint. The
// session calls reply() on a work thread and maps protocol types to the plain types below
// (this header does not depend on src/protocol).
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

namespace parley::server {

// One turn of the conversation so far, oldest first.
struct HistoryEntry {
    enum class Role {
        kUser,          // text: what the user said or typed
        kModel,         // text: what the model said (only what was actually sent)
        kToolCall,      // the model asked for a tool: tool_name, tool_call_id, tool_args
        kToolResponse,  // the client answered: tool_name, tool_call_id, tool_response
    };
    Role role = Role::kUser;
    std::string text;
    std::string tool_name;
    std::string tool_call_id;
    nlohmann::ordered_json tool_args = nlohmann::ordered_json::object();
    nlohmann::ordered_json tool_response = nlohmann::ordered_json::object();

    // Builders (g++ 12 warns on designated initializers that leave members out).
    static HistoryEntry user(std::string text) { return with_text(Role::kUser, std::move(text)); }
    static HistoryEntry model(std::string text) { return with_text(Role::kModel, std::move(text)); }
    static HistoryEntry tool_call(std::string name, std::string id, nlohmann::ordered_json args) {
        HistoryEntry e;
        e.role = Role::kToolCall;
        e.tool_name = std::move(name);
        e.tool_call_id = std::move(id);
        e.tool_args = std::move(args);
        return e;
    }
    static HistoryEntry tool_result(std::string name, std::string id,
                                    nlohmann::ordered_json response) {
        HistoryEntry e;
        e.role = Role::kToolResponse;
        e.tool_name = std::move(name);
        e.tool_call_id = std::move(id);
        e.tool_response = std::move(response);
        return e;
    }

private:
    static HistoryEntry with_text(Role role, std::string text) {
        HistoryEntry e;
        e.role = role;
        e.text = std::move(text);
        return e;
    }
};

// A function the client declared in setup.tools[].functionDeclarations[].
struct ToolDeclaration {
    std::string name;
    std::string description;
    // JSON schema of the arguments ({"type":"object","properties":{...},"required":[...]}),
    // or null when the function takes none.
    nlohmann::ordered_json parameters;
};

struct ToolCall {
    std::string id;  // unique in the session, e.g. "function-call-3"
    std::string name;
    nlohmann::ordered_json args = nlohmann::ordered_json::object();
};

struct BrainRequest {
    std::string system_instruction;
    // The conversation; the new input (a kUser entry, or the kToolResponse entries that answer
    // the last tool calls) is at the end.
    std::vector<HistoryEntry> history;
    std::vector<ToolDeclaration> tools;
};

// Where a reply goes while it is being written. Called on the thread running reply(), in
// order. Implementations must not block for long (hand text to the synthesizer's queue) and
// must not call back into the Brain.
class BrainSink {
public:
    virtual ~BrainSink() = default;
    // A piece of the reply text; pieces concatenate to the reply (sentence boundaries are the
    // caller's business, see SentenceSplitter).
    virtual void on_text(std::string_view chunk) = 0;
    // The model calls a tool; the reply ends after its calls, and the session sends the
    // toolCall and waits for the toolResponse before calling reply() again.
    virtual void on_tool_call(ToolCall call) = 0;
};

class Brain {
public:
    virtual ~Brain() = default;

    // Writes the reply to `request` into `sink`, returning when it is complete. Checks
    // `cancelled` (set by the session on barge-in or close, from any thread) between pieces and
    // returns EngineError::kCancelled soon after it is set. Work context; may block on network.
    // Implementations must be safe to call from several sessions at once.
    [[nodiscard]] virtual Status reply(const BrainRequest& request, BrainSink& sink,
                                       const std::atomic<bool>& cancelled) = 0;
};

}  // namespace parley::server
