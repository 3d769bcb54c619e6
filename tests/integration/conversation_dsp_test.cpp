// SPDX-License-Identifier: Apache-2.0
// ConversationDsp, the Conversation's dsp thread, driven block by block (Pacing::kManual, so it
// runs as fast as the machine allows and under the sanitizers): the model's voice played through
// a simulated room into the microphone is never taken for the user, the user talking over it is,
// and the observer hears when a turn becomes audible and when the output falls silent.
#include "session/conversation_dsp.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dsp/frame.hpp"
#include "dsp/resampler.hpp"
#include "parley/conversation.hpp"
#include "support/flite_speech.hpp"
#include "support/test_audio.hpp"

namespace parley::session {
namespace {

using namespace std::chrono_literals;

constexpr int kRateHz = 16000;

class Observer final : public DspObserver {
public:
    void on_speech_start(double onset_ms, double) override {
        starts.fetch_add(1);
        last_onset_ms.store(onset_ms);
    }
    void on_speech_end(double, double) override { ends.fetch_add(1); }
    void on_turn_audible(dsp::TurnId turn, double) override { audible_turn.store(turn); }
    void on_output_silent(double) override { silences.fetch_add(1); }
    void on_tick(double) override {}

    std::atomic<int> starts{0}, ends{0}, silences{0};
    std::atomic<double> last_onset_ms{-1};
    std::atomic<dsp::TurnId> audible_turn{0};
};

// The model's voice: flite at the Live API's output rate (24 kHz).
std::vector<std::int16_t> model_speech() {
    const auto at16 = test::speak(
        "Once upon a time, in a small town by the sea, there lived a lighthouse keeper named Tom. "
        "Every night he climbed one hundred steps to light the great lamp at the top of the "
        "tower. One winter evening a storm rolled in from the north, and the wind began to howl.");
    return dsp::resample(at16, test::kSpeechRateHz, dsp::kOutputRateHz);
}

class ConversationDspTest : public ::testing::Test {
protected:
    void SetUp() override {
        device::SimulatedDeviceOptions options;
        options.pacing = device::Pacing::kManual;
        options.echo_path = make_room_echo(kRateHz);
        device_ = std::make_unique<ScriptedDevice>(kRateHz, std::move(options));
        ASSERT_TRUE(device_->open());
        auto dsp = ConversationDsp::create(
            *device_, player_, observer_,
            [this](std::span<const std::int16_t> pcm) { sent_.fetch_add(pcm.size()); }, {});
        ASSERT_TRUE(dsp) << dsp.error().message();
        dsp_ = std::move(*dsp);
        ASSERT_TRUE(device_->start());
        dsp_->start();
    }
    void TearDown() override {
        dsp_->stop();
        device_->stop();
    }
    // Runs `ms` of device time, one 10 ms block at a time, each consumed before the next.
    void run_ms(int ms) {
        for (int i = 0; i < ms / 10; ++i) {
            device_->step(1);
            const auto deadline = std::chrono::steady_clock::now() + 5s;
            while (device_->capture_ring().available_to_read() > 0 &&
                   std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(50us);
            }
        }
    }

    std::unique_ptr<ScriptedDevice> device_;
    dsp::Player player_;
    Observer observer_;
    std::atomic<std::size_t> sent_{0};
    std::unique_ptr<ConversationDsp> dsp_;
};

TEST_F(ConversationDspTest, TheModelsEchoIsNotSpeechButTheUserOverItIs) {
    const auto speech = model_speech();
    const int speech_ms = static_cast<int>(speech.size() / 24);
    ASSERT_TRUE(player_.push(7, speech));
    run_ms(speech_ms + 1000);
    EXPECT_EQ(observer_.audible_turn.load(), 7u);
    EXPECT_EQ(observer_.starts.load(), 0) << "the echo of the model was taken for the user";
    EXPECT_EQ(observer_.silences.load(), 1) << "the end of the turn is silent once";
    EXPECT_NEAR(player_.played_ms(7), speech_ms, 20.0);
    EXPECT_GE(sent_.load(), static_cast<std::size_t>(speech_ms) * 16) << "every frame was sent";

    // The model speaks again; three seconds in, the user talks over it.
    ASSERT_TRUE(player_.push(8, speech));
    run_ms(3000);
    EXPECT_EQ(observer_.starts.load(), 0) << "false start at " << observer_.last_onset_ms.load()
                                          << " ms; the second turn began at " << speech_ms + 1000;
    device_->say(test::speak("stop, what is two plus two"));
    run_ms(2500);
    EXPECT_EQ(observer_.starts.load(), 1) << "the user's voice over the echo was not heard";
    EXPECT_GE(observer_.last_onset_ms.load(), speech_ms + 1000 + 3000 - 100);
    run_ms(1500);
    EXPECT_EQ(observer_.ends.load(), 1);
}

TEST_F(ConversationDspTest, ARenderFlushSilencesTheOutputAtOnce) {
    ASSERT_TRUE(player_.push(3, model_speech()));
    run_ms(2000);
    EXPECT_EQ(observer_.audible_turn.load(), 3u);
    (void)player_.flush(3);
    dsp_->request_render_flush();
    run_ms(200);
    EXPECT_EQ(observer_.silences.load(), 1);
    EXPECT_LT(player_.played_ms(3), 2300.0);
}

}  // namespace
}  // namespace parley::session
