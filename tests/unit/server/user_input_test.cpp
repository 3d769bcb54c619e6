// SPDX-License-Identifier: Apache-2.0
#include "server/user_input.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dsp/resampler.hpp"
#include "server/synthesizer.hpp"

namespace parley::server {
namespace {

using std::chrono::milliseconds;
constexpr std::size_t k20msSamples = 320;  // at 16 kHz

std::vector<int16_t> speech_16k(std::string_view text) {
    static const auto synth = Synthesizer::create();
    EXPECT_TRUE(synth);
    const auto pcm = synth->synthesize(text, FliteVoice::kSlt);
    EXPECT_TRUE(pcm);
    auto out = dsp::resample(*pcm, Synthesizer::kOutputRateHz, 16000);
    // Trimmed to the speech (flite pads with silence), so the pauses below are the real ones.
    const auto loud = [](int16_t s) { return s > 300 || s < -300; };
    const auto first = std::find_if(out.begin(), out.end(), loud);
    const auto last = std::find_if(out.rbegin(), out.rend(), loud).base();
    return first < last ? std::vector<int16_t>(first, last) : out;
}

// A microphone: low white noise (RMS 10) with the given pieces of speech and pauses mixed in.
class Stream {
public:
    Stream& pause(milliseconds ms) {
        audio_.resize(audio_.size() + static_cast<std::size_t>(ms.count()) * 16, 0);
        return *this;
    }
    Stream& say(std::string_view text) {
        const auto pcm = speech_16k(text);
        audio_.insert(audio_.end(), pcm.begin(), pcm.end());
        return *this;
    }
    std::vector<int16_t> done() {
        std::mt19937 rng(5);
        std::normal_distribution<double> gauss(0.0, 10.0);
        for (auto& s : audio_) s = static_cast<int16_t>(s + gauss(rng));
        return audio_;
    }

private:
    std::vector<int16_t> audio_;
};

std::set<std::string> word_set(const std::string& text) {
    std::set<std::string> words;
    std::istringstream in(text);
    for (std::string w; in >> w;) words.insert(w);
    return words;
}

class UserInputTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto created = RecognizerPool::create({.decoders = 1});
        ASSERT_TRUE(created) << created.error().message();
        pool_ = new RecognizerPool(std::move(*created));
    }
    static void TearDownTestSuite() {
        delete pool_;
        pool_ = nullptr;
    }

    // Feeds `audio` in 20 ms chunks, as a client sends it; returns the turns, in order.
    std::vector<UserTurn> turns_of(const std::vector<int16_t>& audio, UserInputConfig config = {}) {
        std::vector<UserTurn> turns;
        UserInputEvents events;
        events.on_turn = [&turns](UserTurn turn) { turns.push_back(std::move(turn)); };
        auto input = UserInput::create(config, pool_, std::move(events));
        EXPECT_TRUE(input);
        if (!input)
            return turns;
        for (std::size_t at = 0; at < audio.size(); at += k20msSamples) {
            const auto end = std::min(audio.size(), at + k20msSamples);
            (*input)->feed(std::vector<int16_t>(audio.begin() + static_cast<std::ptrdiff_t>(at),
                                                audio.begin() + static_cast<std::ptrdiff_t>(end)));
        }
        return turns;
    }

    static RecognizerPool* pool_;
};

RecognizerPool* UserInputTest::pool_ = nullptr;

TEST_F(UserInputTest, TextIsReadyWhenTheTurnEnds) {
    const auto audio =
        Stream().pause(milliseconds(1000)).say("hello there").pause(milliseconds(1500)).done();
    const auto turns = turns_of(audio);
    ASSERT_EQ(turns.size(), 1u);
    EXPECT_TRUE(word_set(turns[0].text).count("hello")) << turns[0].text;
    // Recognition was finished during the end-of-speech silence: no work after the end.
    EXPECT_EQ(turns[0].recognition_tail, milliseconds(0));
}

TEST_F(UserInputTest, PauseLongerThanTheEarlyFinishKeepsOneTurnWithAllItsWords) {
    // 550 ms: past the early finish (400 ms of the default 800 ms silence), short of the end.
    const auto audio = Stream()
                           .pause(milliseconds(1000))
                           .say("hello there")
                           .pause(milliseconds(550))
                           .say("twelve times seven is eighty four")
                           .pause(milliseconds(1500))
                           .done();
    const auto turns = turns_of(audio);
    ASSERT_EQ(turns.size(), 1u);
    const auto words = word_set(turns[0].text);
    EXPECT_TRUE(words.count("hello")) << turns[0].text;
    EXPECT_TRUE(words.count("twelve") || words.count("seven")) << turns[0].text;
}

TEST_F(UserInputTest, WithoutEarlyFinishTheSameWordsAreHeard) {
    const auto audio =
        Stream().pause(milliseconds(1000)).say("hello there").pause(milliseconds(1500)).done();
    UserInputConfig config;
    config.early_finish_share = 0;
    const auto late = turns_of(audio, config);
    const auto early = turns_of(audio);
    ASSERT_EQ(late.size(), 1u);
    ASSERT_EQ(early.size(), 1u);
    EXPECT_EQ(late[0].text, early[0].text);
}

TEST_F(UserInputTest, TwoQuestionsAreTwoTurns) {
    const auto audio = Stream()
                           .pause(milliseconds(1000))
                           .say("hello there")
                           .pause(milliseconds(1500))
                           .say("twelve times seven is eighty four")
                           .pause(milliseconds(1500))
                           .done();
    const auto turns = turns_of(audio);
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_TRUE(word_set(turns[0].text).count("hello")) << turns[0].text;
    EXPECT_FALSE(word_set(turns[1].text).count("hello")) << turns[1].text;
}

}  // namespace
}  // namespace parley::server
