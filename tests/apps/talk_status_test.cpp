// SPDX-License-Identifier: Apache-2.0
// TalkStatus: what `parley talk` prints for a conversation's events, on a terminal and not.
#include "parley/talk_status.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley {
namespace {

using Type = ConversationEventType;

bool contains(const std::vector<std::string>& lines, const std::string& text) {
    for (const auto& line : lines) {
        if (line.find(text) != std::string::npos)
            return true;
    }
    return false;
}

ConversationEvent transcript(const std::string& who, const std::string& text, bool cut = false) {
    return {.type = Type::kTranscript,
            .at_ms = 4000,
            .turn = 1,
            .line = TranscriptLine{.who = who, .text = text, .interrupted = cut, .turn = 1}};
}

TEST(TalkStatus, TranscriptLinesArePrintedAsTheyArrive) {
    TalkStatus status(false);
    const auto user = status.on_event(transcript("user", "what is twelve times seven"));
    ASSERT_EQ(user.size(), 1U);
    EXPECT_NE(user[0].find("you:"), std::string::npos);
    EXPECT_NE(user[0].find("what is twelve times seven"), std::string::npos);
    EXPECT_NE(user[0].find("4.0 s"), std::string::npos) << user[0];
    const auto model = status.on_event(transcript("model", "twelve times seven is", true));
    ASSERT_EQ(model.size(), 1U);
    EXPECT_NE(model[0].find("model: twelve times seven is"), std::string::npos);
    EXPECT_NE(model[0].find("cut"), std::string::npos) << model[0];
}

TEST(TalkStatus, LatencyIsMeasuredFromTheEndOfTheUserSpeech) {
    TalkStatus status(false);
    EXPECT_TRUE(contains(status.on_event({.type = Type::kUserSpeechStarted, .at_ms = 1000}),
                         "you are speaking"));
    EXPECT_TRUE(status.on_event({.type = Type::kUserSpeechEnded, .at_ms = 2500}).empty());
    const auto audible = status.on_event({.type = Type::kModelAudible, .at_ms = 3330, .turn = 1});
    EXPECT_TRUE(contains(audible, "830 ms after you stopped"));
    ASSERT_TRUE(status.last_latency_ms().has_value());
    EXPECT_DOUBLE_EQ(*status.last_latency_ms(), 830.0);

    TurnMetrics metrics{.turn = 1,
                        .response_latency_ms = 830.0,
                        .played_ms = 1200,
                        .generated_ms = 3000,
                        .interrupted = true};
    const auto ended = status.on_event(
        {.type = Type::kModelTurnEnded, .at_ms = 5000, .turn = 1, .metrics = metrics});
    ASSERT_EQ(ended.size(), 1U);
    EXPECT_NE(ended[0].find("turn 1: latency 830 ms, played 1.2 s of 3.0 s"), std::string::npos)
        << ended[0];
    EXPECT_NE(ended[0].find("interrupted"), std::string::npos);
}

TEST(TalkStatus, BargeInAndResumeAreReported) {
    TalkStatus status(true);
    EXPECT_TRUE(contains(status.on_event({.type = Type::kBargeIn, .at_ms = 100}), "interrupted"));
    EXPECT_TRUE(
        contains(status.on_event({.type = Type::kBargeInResumed, .at_ms = 700}), "resumed"));
    EXPECT_TRUE(contains(status.on_event({.type = Type::kToolCall, .text = "get_time({}) -> 3"}),
                         "tool: get_time({}) -> 3"));
}

TEST(TalkStatus, DroppedAudioIsReportedWheneverItGrows) {
    TalkStatus status(true);
    session::SessionStats stats;
    stats.audio_sent_ms = 5000;
    EXPECT_TRUE(status.on_stats(stats).empty());
    stats.audio_dropped_ms = 300;
    const auto first = status.on_stats(stats);
    ASSERT_EQ(first.size(), 1U);
    EXPECT_NE(first[0].find("300 ms"), std::string::npos) << first[0];
    EXPECT_TRUE(status.on_stats(stats).empty()) << "the same drop is reported once";
    stats.audio_dropped_ms = 1500;
    EXPECT_TRUE(contains(status.on_stats(stats), "1.5 s"));
    EXPECT_NE(status.live_line(6000, 200).find("dropped 1.5 s"), std::string::npos);
}

TEST(TalkStatus, LiveLineShowsWhoSpeaksAndFitsTheTerminal) {
    TalkStatus status(true);
    EXPECT_NE(status.live_line(0, 200).find("speaking: listening"), std::string::npos);
    EXPECT_TRUE(status.on_event({.type = Type::kUserSpeechStarted, .at_ms = 10}).empty())
        << "a terminal shows who speaks in the live line, not as lines";
    EXPECT_EQ(status.speaker(), Speaker::kUser);
    EXPECT_NE(status.live_line(0, 200).find("speaking: you"), std::string::npos);
    status.set_model_playing(true);
    EXPECT_EQ(status.speaker(), Speaker::kBoth);
    (void)status.on_event({.type = Type::kUserSpeechEnded, .at_ms = 900});
    EXPECT_EQ(status.speaker(), Speaker::kModel);
    status.set_model_playing(false);
    EXPECT_EQ(status.speaker(), Speaker::kNobody);

    status.set_mic_level_dbfs(-30.0);
    const auto line = status.live_line(12'300, 200);
    EXPECT_NE(line.find("12.3 s"), std::string::npos) << line;
    EXPECT_NE(line.find("[#####     ]"), std::string::npos) << line;
    EXPECT_EQ(status.live_line(12'300, 20).size(), 20U);
}

TEST(TalkStatus, LevelMeterCoversSixtyDecibels) {
    EXPECT_EQ(level_meter(-200.0), "[          ]");
    EXPECT_EQ(level_meter(-60.0), "[          ]");
    EXPECT_EQ(level_meter(0.0), "[##########]");
    EXPECT_EQ(level_meter(6.0), "[##########]");
    EXPECT_EQ(format_duration_ms(999), "999 ms");
    EXPECT_EQ(format_duration_ms(61'000), "61.0 s");
}

}  // namespace
}  // namespace parley
