// SPDX-License-Identifier: Apache-2.0
// ReplyGenerator: writes one model reply on a work thread: asks the Brain, cuts its text into
// sentences as it streams, and synthesizes each sentence (AUDIO modality) or passes it on as
// text (TEXT modality) the moment it is complete, so the first audio leaves long before the
// last sentence is written. Events go to a ReplyEvents on the same work thread, in order.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "server/brain.hpp"
#include "server/synthesizer.hpp"
#include "server/voice_map.hpp"

namespace parley::server {

// Receives a reply as it is made; called on the generating work thread. Implementations hand
// the pieces to io and return at once.
class ReplyEvents {
public:
    virtual ~ReplyEvents() = default;
    // One sentence: its text and, in AUDIO modality, its speech (PCM16, 24 kHz).
    virtual void on_sentence(std::size_t index, std::string text, std::vector<int16_t> pcm_24k) = 0;
    virtual void on_tool_call(ToolCall call) = 0;
    // The reply is complete (or failed, or was cancelled: EngineError::kCancelled).
    virtual void on_done(Status status) = 0;
};

struct ReplyStyle {
    bool audio = true;  // false: TEXT modality, no synthesis
    FliteVoice voice = kDefaultFliteVoice;
};

// Runs the whole reply; returns when done (after on_done). `synthesizer` may be null when the
// server runs without speech: each sentence then carries a 250 ms beep. Work context.
void generate_reply(Brain& brain, const Synthesizer* synthesizer, const BrainRequest& request,
                    ReplyStyle style, const std::atomic<bool>& cancelled, ReplyEvents& events);

}  // namespace parley::server
