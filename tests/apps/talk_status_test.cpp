// SPDX-License-Identifier: Apache-2.0
// TalkStatus: what `parley talk` prints for a conversation's events, on a terminal and not.
#include "parley/talk_status.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
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

ConversationEvent transcript(const std::string& who, const std::string& text, bool cut = false,
                             bool incomplete = false) {
    return {.type = Type::kTranscript,
            .at_ms = 4000,
            .turn = 1,
            .line = TranscriptLine{
                .who = who, .text = text, .interrupted = cut, .turn = 1, .incomplete = incomplete}};
}

ConversationEvent partial(const std::string& who, const std::string& text) {
    auto event = transcript(who, text);
    event.type = Type::kTranscriptPartial;
    return event;
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

TEST(TalkStatus, LinesInProgressShowOnTheLiveLineOnly) {
    TalkStatus plain(false);
    EXPECT_TRUE(plain.on_event(partial("user", "what is")).empty())
        << "piped output gets final lines only";
    EXPECT_TRUE(plain.on_event(partial("user", "what is twelve times seven")).empty());
    EXPECT_EQ(plain.on_event(transcript("user", "what is twelve times seven")).size(), 1U);

    TalkStatus live(true);
    EXPECT_TRUE(live.on_event(partial("user", "what is")).empty());
    EXPECT_NE(live.live_line(1000, 200).find("you: what is"), std::string::npos)
        << live.live_line(1000, 200);
    (void)live.on_event(partial("user", "what is twelve times seven"));
    EXPECT_NE(live.live_line(1000, 200).find("you: what is twelve times seven"), std::string::npos);
    (void)live.on_event(partial("model", "twelve times"));
    EXPECT_EQ(live.line_in_progress(), "model: twelve times") << "the latest speaker's line";
    EXPECT_NE(live.live_line(1000, 200).find("model: twelve times"), std::string::npos);
    // The model's line becomes final: the user's (still in progress) shows again.
    EXPECT_EQ(live.on_event(transcript("model", "twelve times seven is eighty-four")).size(), 1U);
    EXPECT_EQ(live.line_in_progress(), "you: what is twelve times seven");
    (void)live.on_event(transcript("user", "what is twelve times seven"));
    EXPECT_EQ(live.line_in_progress(), "");
    EXPECT_EQ(live.live_line(1000, 200).find(" | "), std::string::npos)
        << live.live_line(1000, 200);
}

TEST(TalkStatus, ALongLineInProgressShowsItsLatestWordsWithinTheTerminal) {
    TalkStatus live(true);
    std::string text = "once upon a time there was a lighthouse keeper";
    for (int i = 0; i < 20; ++i) text += " who counted ships";
    text += " until the end";
    (void)live.on_event(partial("model", text));
    const auto line = live.live_line(1000, 100);
    EXPECT_LE(line.size(), 100U);
    EXPECT_NE(line.find("model: ..."), std::string::npos) << line;
    EXPECT_NE(line.find("until the end"), std::string::npos) << line;
    EXPECT_NE(line.find("speaking:"), std::string::npos) << "the status itself stays: " << line;
    // Multi-byte text is never cut inside a character.
    std::string accents;
    for (int i = 0; i < 150; ++i) accents += "\xC3\xA9";  // U+00E9, two bytes
    (void)live.on_event(partial("user", accents));
    for (std::size_t columns = 80; columns < 84; ++columns) {
        const auto cut = live.live_line(1000, columns);
        ASSERT_LE(cut.size(), columns);
        const auto at = cut.find("you: ...");
        ASSERT_NE(at, std::string::npos) << cut;
        EXPECT_EQ(static_cast<unsigned char>(cut[at + 8]), 0xC3U)
            << "cut inside a character at " << columns;
    }
}

TEST(TalkStatus, LinesMadeFinalByStoppingAreMarked) {
    TalkStatus status(false);
    const auto lines = status.on_event(transcript("user", "and then", false, true));
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_NE(lines[0].find("you:   and then [unfinished: stopped]"), std::string::npos)
        << lines[0];
    const auto whole = status.on_event(transcript("user", "hello"));
    ASSERT_EQ(whole.size(), 1U);
    EXPECT_EQ(whole[0].find("unfinished"), std::string::npos) << whole[0];
}

TEST(TalkStatus, ALostConnectionShowsReconnectingThenResumed) {
    TalkStatus status(true);
    session::Reconnecting reconnecting{.cause = session::ReconnectCause::kConnectionLost,
                                       .attempt = 1,
                                       .retry_in = std::chrono::milliseconds(200),
                                       .message = "connection lost"};
    const auto first =
        status.on_event({.type = Type::kReconnecting, .at_ms = 3000, .reconnecting = reconnecting});
    ASSERT_EQ(first.size(), 1U);
    EXPECT_NE(first[0].find("connection lost: reconnecting (attempt 1 in 200 ms)"),
              std::string::npos)
        << first[0];
    reconnecting.attempt = 2;
    reconnecting.retry_in = std::chrono::milliseconds(400);
    const auto second =
        status.on_event({.type = Type::kReconnecting, .at_ms = 3300, .reconnecting = reconnecting});
    ASSERT_EQ(second.size(), 1U);
    EXPECT_NE(second[0].find("connection lost: reconnecting (attempt 2 in 400 ms)"),
              std::string::npos)
        << second[0];
    EXPECT_NE(status.live_line(3400, 200).find("reconnecting (attempt 2)"), std::string::npos)
        << status.live_line(3400, 200);

    session::Resumed resumed{.cause = session::ReconnectCause::kConnectionLost,
                             .attempts = 2,
                             .gap = std::chrono::milliseconds(187),
                             .audio_resent_ms = 120,
                             .audio_lost_ms = 0};
    const auto back = status.on_event({.type = Type::kResumed, .at_ms = 3500, .resumed = resumed});
    ASSERT_EQ(back.size(), 1U);
    EXPECT_NE(back[0].find("resumed after 187 ms, 0 ms of audio lost (120 ms sent again)"),
              std::string::npos)
        << back[0];
    EXPECT_EQ(status.live_line(3600, 200).find("reconnecting"), std::string::npos)
        << status.live_line(3600, 200);
    EXPECT_EQ(status.connection_note(), "");
}

TEST(TalkStatus, AGoAwayShowsTheSwitchOver) {
    TalkStatus status(false);
    const auto away = status.on_event({.type = Type::kGoAway, .at_ms = 1000, .text = "10000"});
    ASSERT_EQ(away.size(), 1U);
    EXPECT_NE(away[0].find("in 10.0 s (goAway)"), std::string::npos) << away[0];
    const auto moving = status.on_event(
        {.type = Type::kReconnecting,
         .at_ms = 1500,
         .reconnecting = session::Reconnecting{.cause = session::ReconnectCause::kGoAway}});
    ASSERT_EQ(moving.size(), 1U);
    EXPECT_NE(moving[0].find("switching to a new connection"), std::string::npos) << moving[0];
    EXPECT_EQ(status.connection_note(), "switching connections");
    const auto done =
        status.on_event({.type = Type::kResumed,
                         .at_ms = 1700,
                         .resumed = session::Resumed{.cause = session::ReconnectCause::kGoAway}});
    ASSERT_EQ(done.size(), 1U);
    EXPECT_NE(done[0].find("switched connections without a gap, 0 ms of audio lost"),
              std::string::npos)
        << done[0];
}

TEST(TalkStatus, TheTranscriptFileMarksOnlyUnfinishedLines) {
    const std::string path =
        ::testing::TempDir() + "talk_status_transcript_" + std::to_string(::getpid()) + ".jsonl";
    const std::vector<TranscriptLine> lines = {
        {.who = "user", .text = "hello", .turn = 1},
        {.who = "model", .text = "hi there...", .turn = 1, .incomplete = true}};
    ASSERT_TRUE(write_transcript_jsonl(path, lines));
    std::ifstream file(path);
    std::string first;
    std::string second;
    std::getline(file, first);
    std::getline(file, second);
    std::remove(path.c_str());
    EXPECT_EQ(
        first,
        R"({"who":"user","text":"hello","start_ms":0,"end_ms":0,"interrupted":false,"turn":1})");
    EXPECT_NE(second.find(R"("incomplete":true)"), std::string::npos) << second;
}

}  // namespace
}  // namespace parley
