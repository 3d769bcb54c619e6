// SPDX-License-Identifier: Apache-2.0
// `parley talk --input question.wav --output reply.wav --transcript t.jsonl` with no API key: the
// in-process local server hears a question spoken by flite and answers it; the run ends by
// itself once the answer has played, exit 0. Paced in real time (label realtime).
#include "parley_process.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dsp/wav_file.hpp"
#include "support/flite_speech.hpp"
#include "support/test_audio.hpp"

namespace parley::test {
namespace {

std::vector<nlohmann::json> transcript_entries(const std::string& path) {
    std::ifstream lines(path);
    std::vector<nlohmann::json> entries;
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty())
            entries.push_back(nlohmann::json::parse(line));
    }
    return entries;
}

TEST(TalkEndToEnd, ASpokenQuestionIsAnsweredIntoTheOutputFile) {
    const auto dir = fresh_directory("talk-e2e");
    auto speech = speak("what is twelve times seven");
    // Some silence before and after, as a person leaves it.
    Samples input(ms_to_samples(500, kSpeechRateHz), 0);
    input.insert(input.end(), speech.begin(), speech.end());
    input.resize(input.size() + ms_to_samples(1500, kSpeechRateHz), 0);
    const auto question = dir + "/question.wav";
    ASSERT_TRUE(write_wav(question, input, kSpeechRateHz));
    const auto reply = dir + "/reply.wav";
    const auto transcript = dir + "/t.jsonl";
    const auto record = dir + "/session.wav";

    const auto run = run_parley({"talk", "--input", question, "--output", reply, "--transcript",
                                 transcript, "--record", record, "--timeout", "60"},
                                dir);
    ASSERT_EQ(run.exit_code, 0) << "stdout:\n" << run.out << "stderr:\n" << run.err;
    const auto out = lines_of(run.out);
    ASSERT_FALSE(out.empty());
    EXPECT_NE(out.front().find("local server"), std::string::npos)
        << "the first line says the local server is used: " << out.front();

    // The reply holds speech: at least half a second of it, well above silence.
    auto reader = dsp::WavReader::open(reply);
    ASSERT_TRUE(reader) << reader.error().message();
    const int rate_hz = reader->info().sample_rate_hz;
    auto samples = reader->read_all_mono(rate_hz);
    ASSERT_TRUE(samples);
    const auto [first, last] = active_range(*samples, rate_hz);
    EXPECT_GT(samples_to_ms(static_cast<double>(last - first), rate_hz), 500.0);
    EXPECT_GT(active_rms(*samples, rate_hz), 300.0);

    // The transcript holds what the user said and what the model answered.
    const auto entries = transcript_entries(transcript);
    bool user = false;
    bool model = false;
    for (const auto& entry : entries) {
        const auto text = entry.value("text", std::string{});
        if (entry.value("who", std::string{}) == "user" && text.find("twelve") != std::string::npos)
            user = true;
        if (entry.value("who", std::string{}) == "model" && !text.empty())
            model = true;
    }
    EXPECT_TRUE(user) << run.out;
    EXPECT_TRUE(model) << run.out;

    // The recording: stereo, at least as long as the question.
    auto recorded = dsp::WavReader::open(record);
    ASSERT_TRUE(recorded);
    EXPECT_EQ(recorded->info().channels, 2);
    EXPECT_GE(static_cast<double>(recorded->info().frames) / recorded->info().sample_rate_hz,
              static_cast<double>(input.size()) / kSpeechRateHz - 0.2);
}

// With --input (as with --headphones) the microphone hears no echo: a user who talks over the
// story interrupts it, and the next question is answered.
TEST(TalkEndToEnd, TheUserInterruptsTheStoryAndIsAnswered) {
    const auto dir = fresh_directory("talk-e2e-barge-in");
    const auto request = speak("tell me a story please");
    const auto question = speak("what is twelve times seven");
    Samples input(ms_to_samples(500, kSpeechRateHz), 0);
    input.insert(input.end(), request.begin(), request.end());
    input.resize(input.size() + ms_to_samples(6000, kSpeechRateHz), 0);  // the story begins
    input.insert(input.end(), question.begin(), question.end());
    input.resize(input.size() + ms_to_samples(1500, kSpeechRateHz), 0);
    const auto wav = dir + "/input.wav";
    ASSERT_TRUE(write_wav(wav, input, kSpeechRateHz));
    const auto transcript = dir + "/t.jsonl";

    const auto run = run_parley({"talk", "--input", wav, "--output", dir + "/reply.wav",
                                 "--transcript", transcript, "--timeout", "60"},
                                dir);
    ASSERT_EQ(run.exit_code, 0) << "stdout:\n" << run.out << "stderr:\n" << run.err;
    const auto entries = transcript_entries(transcript);
    int story = -1;
    int answer = -1;
    for (int i = 0; i < static_cast<int>(entries.size()); ++i) {
        const auto& entry = entries[static_cast<std::size_t>(i)];
        if (entry.value("who", std::string{}) != "model")
            continue;
        if (story < 0)
            story = i;
        else if (answer < 0)
            answer = i;
    }
    ASSERT_GE(story, 0) << run.out;
    const auto& told = entries[static_cast<std::size_t>(story)];
    EXPECT_TRUE(told.value("interrupted", false)) << "the story was not interrupted:\n" << run.out;
    EXPECT_LT(told.value("end_ms", 0L) - told.value("start_ms", 0L), 20000L)
        << "the story played on:\n"
        << run.out;
    // The request's line keeps its own times, though the user spoke again before it was written.
    ASSERT_GE(story, 1);
    const auto& request_line = entries[static_cast<std::size_t>(story - 1)];
    EXPECT_LT(request_line.value("start_ms", 0L), 1000L) << run.out;
    EXPECT_GT(request_line.value("end_ms", 0L), request_line.value("start_ms", 0L)) << run.out;
    EXPECT_LE(request_line.value("end_ms", 0L), told.value("start_ms", 0L)) << run.out;
    ASSERT_GE(answer, 0) << "the question was not answered:\n" << run.out;
    // How the offline recognizer reads the question depends on flite's rendering of it, which
    // has differed between runs of this binary; that a question was heard over the story and
    // answered is what this test is about.
    const auto& asked = entries[static_cast<std::size_t>(answer - 1)];
    EXPECT_EQ(asked.value("who", std::string{}), "user") << run.out;
    EXPECT_NE(asked.value("text", std::string{}).find("seven"), std::string::npos) << run.out;
    EXPECT_GT(asked.value("start_ms", 0L), told.value("start_ms", 0L)) << run.out;
}

}  // namespace
}  // namespace parley::test
