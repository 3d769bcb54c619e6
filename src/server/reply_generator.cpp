// SPDX-License-Identifier: Apache-2.0
#include "server/reply_generator.hpp"

#include <cmath>

#include "server/engine_error.hpp"
#include "server/sentence_splitter.hpp"

namespace parley::server {
namespace {

// Without speech (turn detection only) each sentence is answered with a short beep, so clients
// and load tests still get audio to play and time.
std::vector<int16_t> beep() {
    constexpr int kRateHz = Synthesizer::kOutputRateHz;
    constexpr int kSamples = kRateHz / 4;
    constexpr double kTwoPi = 6.283185307179586;
    std::vector<int16_t> pcm(kSamples);
    for (int i = 0; i < kSamples; ++i) {
        pcm[static_cast<std::size_t>(i)] =
            static_cast<int16_t>(6000.0 * std::sin(kTwoPi * 440.0 * i / kRateHz));
    }
    return pcm;
}

class SentenceSink final : public BrainSink {
public:
    SentenceSink(const Synthesizer* synthesizer, ReplyStyle style,
                 const std::atomic<bool>& cancelled, ReplyEvents& events)
        : synthesizer_(synthesizer), style_(style), cancelled_(cancelled), events_(events) {}

    void on_text(std::string_view chunk) override {
        for (auto& sentence : splitter_.push(chunk)) emit(std::move(sentence));
    }
    void on_tool_call(ToolCall call) override { events_.on_tool_call(std::move(call)); }

    void finish() {
        if (auto rest = splitter_.finish()) emit(std::move(*rest));
    }
    [[nodiscard]] const Status& status() const { return status_; }

private:
    void emit(std::string sentence) {
        if (cancelled_.load() || !status_) return;
        std::vector<int16_t> pcm;
        if (style_.audio && synthesizer_ == nullptr) {
            pcm = beep();
        } else if (style_.audio) {
            auto spoken = synthesizer_->synthesize(sentence, style_.voice);
            if (!spoken) {
                status_ = fail(spoken.error());
                return;
            }
            pcm = std::move(*spoken);
        }
        events_.on_sentence(next_index_++, std::move(sentence), std::move(pcm));
    }

    const Synthesizer* synthesizer_;
    ReplyStyle style_;
    const std::atomic<bool>& cancelled_;
    ReplyEvents& events_;
    SentenceSplitter splitter_;
    std::size_t next_index_ = 0;
    Status status_;
};

}  // namespace

void generate_reply(Brain& brain, const Synthesizer* synthesizer, const BrainRequest& request,
                    ReplyStyle style, const std::atomic<bool>& cancelled, ReplyEvents& events) {
    SentenceSink sink(synthesizer, style, cancelled, events);
    Status status = brain.reply(request, sink, cancelled);
    if (status) {
        sink.finish();
        status = sink.status();
    }
    if (cancelled.load()) status = fail(EngineError::kCancelled);
    events.on_done(status);
}

}  // namespace parley::server
