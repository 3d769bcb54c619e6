// SPDX-License-Identifier: Apache-2.0
#include "server/reply_generator.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace parley::server {
namespace {

// A brain that streams a fixed text in small pieces, as a chat model does.
class ScriptedBrain final : public Brain {
public:
    explicit ScriptedBrain(std::string text) : text_(std::move(text)) {}
    Status reply(const BrainRequest&, BrainSink& sink, const std::atomic<bool>&) override {
        for (std::size_t at = 0; at < text_.size(); at += 5) sink.on_text(text_.substr(at, 5));
        return {};
    }

private:
    std::string text_;
};

struct Recorded final : ReplyEvents {
    std::vector<std::string> texts;
    std::vector<std::size_t> samples;
    bool done = false;
    Status status;
    void on_sentence(std::size_t index, std::string text, std::vector<int16_t> pcm) override {
        EXPECT_EQ(index, texts.size());
        texts.push_back(std::move(text));
        samples.push_back(pcm.size());
    }
    void on_tool_call(ToolCall) override {}
    void on_done(Status s) override {
        done = true;
        status = s;
    }
};

Recorded generate(const std::string& text, bool audio) {
    static const auto synthesizer = Synthesizer::create();
    EXPECT_TRUE(synthesizer);
    ScriptedBrain brain(text);
    Recorded events;
    const std::atomic<bool> cancelled{false};
    generate_reply(brain, &*synthesizer, BrainRequest{}, ReplyStyle{audio, FliteVoice::kSlt},
                   cancelled, events);
    EXPECT_TRUE(events.done);
    EXPECT_TRUE(events.status) << events.status.error().message();
    return events;
}

TEST(ReplyGeneratorTest, FirstClauseOfASpokenReplyIsSynthesizedOnItsOwn) {
    const auto events = generate(
        "Once upon a time, in a small town by the sea, there lived a keeper. The end.", true);
    ASSERT_EQ(events.texts.size(), 3u);
    EXPECT_EQ(events.texts[0], "Once upon a time,");
    EXPECT_EQ(events.texts[1], "in a small town by the sea, there lived a keeper.");
    EXPECT_EQ(events.texts[2], "The end.");
    // Each piece is speech of its own; the short clause is the shortest.
    for (const auto n : events.samples) EXPECT_GT(n, 0u);
    EXPECT_LT(events.samples[0], events.samples[1]);
}

TEST(ReplyGeneratorTest, ShortOrUnbrokenFirstSentencesAreKept) {
    EXPECT_EQ(generate("Twelve times seven is eighty four.", true).texts,
              std::vector<std::string>{"Twelve times seven is eighty four."});
    // A comma after fewer than three words is not worth a cut.
    EXPECT_EQ(generate("Hello, nice to meet you. Bye.", true).texts,
              (std::vector<std::string>{"Hello, nice to meet you.", "Bye."}));
}

TEST(ReplyGeneratorTest, TextRepliesAreSentByWholeSentences) {
    const auto events = generate("Once upon a time, in a small town, there lived a keeper.", false);
    EXPECT_EQ(events.texts,
              std::vector<std::string>{"Once upon a time, in a small town, there lived a keeper."});
    EXPECT_EQ(events.samples, std::vector<std::size_t>{0});
}

}  // namespace
}  // namespace parley::server
