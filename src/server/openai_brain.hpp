// SPDX-License-Identifier: Apache-2.0
// OpenAiBrain: replies written by any OpenAI-compatible chat-completions endpoint (llama.cpp's
// server, Ollama, vLLM, ...), streamed: the system instruction, the history and the declared
// tools are passed on, text deltas reach the sink as they arrive and tool calls become ToolCalls.
// Called by the session on a work thread; one HTTP request per reply; safe from several sessions.
#pragma once

#include <chrono>
#include <string>

#include "server/brain.hpp"

namespace parley::server {

struct OpenAiBrainOptions {
    // The endpoint: a base URL ending in /v1 (".../chat/completions" is added) or the full URL.
    std::string url = "http://127.0.0.1:8080/v1";
    std::string model = "default";
    // Sent as "Authorization: Bearer ..." when not empty (from OPENAI_API_KEY); never logged.
    std::string api_key;
    std::chrono::milliseconds timeout{30'000};
};

class OpenAiBrain final : public Brain {
public:
    explicit OpenAiBrain(OpenAiBrainOptions options);

    // Errors: EngineError::kBrainFailed (the endpoint could not be reached, refused the request
    // or sent something that is not a chat-completions stream; the message says which),
    // kCancelled.
    [[nodiscard]] Status reply(const BrainRequest& request, BrainSink& sink,
                               const std::atomic<bool>& cancelled) override;

    // The JSON body sent for `request` (exposed for tests).
    [[nodiscard]] nlohmann::ordered_json request_body(const BrainRequest& request) const;

private:
    OpenAiBrainOptions options_;
    std::string endpoint_;
};

}  // namespace parley::server
