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

// The first sentence of a spoken reply is what the user waits for; when it has a clause break
// (", " "; " ": ") after at least kMinFirstClauseWords words, the clause is spoken first on its
// own, so the first audio leaves after synthesizing a few words rather than the whole sentence.
constexpr std::size_t kMinFirstClauseWords = 3;

// Where `sentence` can be cut after its first clause (the index after the punctuation), or 0.
std::size_t first_clause_end(std::string_view sentence) {
    std::size_t words = 0;
    bool in_word = false;
    for (std::size_t i = 0; i + 1 < sentence.size(); ++i) {
        const char ch = sentence[i];
        if (ch == ' ') {
            in_word = false;
            continue;
        }
        if (!in_word) {
            in_word = true;
            ++words;
        }
        if ((ch == ',' || ch == ';' || ch == ':') && sentence[i + 1] == ' ' &&
            words >= kMinFirstClauseWords) {
            // Only when some words follow (not a trailing comma).
            const auto rest = sentence.find_first_not_of(' ', i + 1);
            return rest == std::string_view::npos ? 0 : i + 1;
        }
    }
    return 0;
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
        if (auto rest = splitter_.finish())
            emit(std::move(*rest));
    }
    [[nodiscard]] const Status& status() const { return status_; }

private:
    void emit(std::string sentence) {
        if (style_.audio && next_index_ == 0) {
            if (const auto cut = first_clause_end(sentence); cut > 0) {
                std::string rest = sentence.substr(cut + 1);
                sentence.resize(cut);
                emit_piece(std::move(sentence));
                emit_piece(std::move(rest));
                return;
            }
        }
        emit_piece(std::move(sentence));
    }

    void emit_piece(std::string sentence) {
        if (cancelled_.load() || !status_)
            return;
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
    if (cancelled.load())
        status = fail(EngineError::kCancelled);
    events.on_done(status);
}

}  // namespace parley::server
