// SPDX-License-Identifier: Apache-2.0
// ConversationDsp, the Conversation's dsp thread, driven block by block (Pacing::kManual, so it
// runs as fast as the machine allows and under the sanitizers): the model's voice played through
// a simulated room into the microphone is never taken for the user, the user talking over it is,
// and the observer hears when a turn becomes audible and when the output falls silent.
#include "session/conversation_dsp.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "device/file_device.hpp"
#include "device/simulated_device.hpp"
#include "dsp/frame.hpp"
#include "dsp/level.hpp"
#include "dsp/resampler.hpp"
#include "parley/conversation.hpp"
#include "parley/local_server.hpp"
#include "server/builtin_brain.hpp"
#include "support/flite_speech.hpp"
#include "support/test_audio.hpp"

namespace parley::session {
namespace {

using namespace std::chrono_literals;

constexpr int kRateHz = 16000;

class Observer final : public DspObserver {
public:
    void on_speech_start(double onset_ms, double now_ms) override {
        starts.fetch_add(1);
        last_onset_ms.store(onset_ms);
        last_start_ms.store(now_ms);
        // What Conversation does on a local barge-in.
        if (pauses != nullptr && pauses->current_turn()) {
            played_at_pause_ms.store(pauses->played_ms(*pauses->current_turn()));
            pauses->pause();
        }
    }
    void on_speech_end(double, double) override { ends.fetch_add(1); }
    void on_turn_audible(dsp::TurnId turn, double) override { audible_turn.store(turn); }
    void on_output_silent(double heard_ms) override {
        silences.fetch_add(1);
        last_silent_ms.store(heard_ms);
    }
    void on_tick(double) override {}

    dsp::Player* pauses = nullptr;
    std::atomic<int> starts{0}, ends{0}, silences{0};
    std::atomic<double> last_onset_ms{-1}, last_start_ms{-1}, last_silent_ms{-1};
    std::atomic<double> played_at_pause_ms{-1};
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

// The local server's story (the built-in brain's text), one chunk per sentence in the server's
// default voice at 24 kHz, as `parley serve` sends it: about a minute of speech.
std::vector<std::vector<std::int16_t>> story_sentences() {
    std::vector<std::vector<std::int16_t>> out;
    for (const std::string_view sentence : server::builtin_story()) {
        auto pcm = speak(std::string(sentence), "slt", dsp::kOutputRateHz);
        if (!pcm)
            return {};
        out.push_back(std::move(*pcm));
    }
    return out;
}

class ConversationDspTest : public ::testing::Test {
protected:
    void SetUp() override { start(dsp::kDefaultEchoMode); }
    // The model's voice reaches the microphone through the simulated room, except with
    // headphones (kOff), where the microphone hears only the user.
    // output_clock_ppm: the speaker runs on a clock of its own, this much faster.
    void start(dsp::EchoMode echo_mode, std::size_t block_samples = kRateHz / 100,
               double output_clock_ppm = 0.0, int room_delay_ms = 40,
               const std::string& record_path = {}) {
        device::SimulatedDeviceOptions options;
        options.pacing = device::Pacing::kManual;
        options.block_samples = {block_samples};
        options.output_clock_ppm = output_clock_ppm;
        if (echo_mode != dsp::EchoMode::kOff)
            options.echo_path = make_room_echo(kRateHz, room_delay_ms);
        block_ms_ = static_cast<int>(block_samples * 1000 / kRateHz);
        device_ = std::make_unique<ScriptedDevice>(kRateHz, std::move(options));
        ASSERT_TRUE(device_->open());
        auto dsp = ConversationDsp::create(*device_, player_, observer_,
                                           [this](std::span<const std::int16_t> pcm) {
                                               sent_.fetch_add(pcm.size());
                                               const std::lock_guard lock(sent_mutex_);
                                               message_sizes_.push_back(pcm.size());
                                               sent_audio_.insert(sent_audio_.end(), pcm.begin(),
                                                                  pcm.end());
                                           },
                                           {.echo_mode = echo_mode, .record_path = record_path});
        ASSERT_TRUE(dsp) << dsp.error().message();
        dsp_ = std::move(*dsp);
        ASSERT_TRUE(device_->start());
        dsp_->start();
    }
    void TearDown() override {
        dsp_->stop();
        device_->stop();
    }
    // Runs `ms` of device time, one block (10 ms unless start() said otherwise) at a time, each
    // consumed before the next.
    void run_ms(int ms) {
        for (int i = 0; i < ms / block_ms_; ++i) (void)device_->step_until_read();
    }

    std::unique_ptr<ScriptedDevice> device_;
    dsp::Player player_;
    Observer observer_;
    std::atomic<std::size_t> sent_{0};
    std::mutex sent_mutex_;
    std::vector<std::int16_t> sent_audio_;    // what went to the session, in order
    std::vector<std::size_t> message_sizes_;  // samples in each send, in order
    int block_ms_ = 10;
    std::unique_ptr<ConversationDsp> dsp_;
};

class HeadphonesDspTest : public ConversationDspTest {
protected:
    void SetUp() override { start(dsp::EchoMode::kOff); }
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

// The echo test of issue 4 without the server and stepped: the whole story played through the
// room after the user's request is never taken for the user. The device reports its own latency
// but not the room's; the room's echo may come later still (a device that under-reports its
// latency, a farther wall): the canceller then misses a sound now and then for a few frames, and
// those misses must not add up to the user (with +15, +25 and +35 ms they did, until a START
// needed voiced frames).
class StoryEchoDspTest : public ConversationDspTest, public ::testing::WithParamInterface<int> {
protected:
    static constexpr int kRoomDelayMs = 40;
    void SetUp() override {
        start(dsp::kDefaultEchoMode, kRateHz / 100, 0.0, kRoomDelayMs + GetParam());
    }
};

TEST_P(StoryEchoDspTest, TheWholeStoryEchoedThroughTheRoomIsNeverTakenForTheUser) {
    const auto sentences = story_sentences();
    ASSERT_EQ(sentences.size(), 14u);
    auto request = test::speak("tell me a story");
    device_->say(request);
    run_ms(static_cast<int>(request.size() / 16) + 1000);
    ASSERT_EQ(observer_.starts.load(), 1) << "the request was not heard";
    ASSERT_EQ(observer_.ends.load(), 1);
    double story_ms = 0;
    for (const auto& pcm : sentences) {
        ASSERT_TRUE(player_.push(2, pcm));
        story_ms += static_cast<double>(pcm.size()) / 24.0;
    }
    const double began_ms = dsp_->now_ms();
    run_ms(static_cast<int>(story_ms) + 1000);
    EXPECT_GT(story_ms, 45000.0);
    EXPECT_NEAR(player_.played_ms(2), story_ms, 20.0);
    EXPECT_EQ(observer_.starts.load(), 1)
        << "the echo was taken for the user at " << observer_.last_onset_ms.load() - began_ms
        << " ms into the story";
}

INSTANTIATE_TEST_SUITE_P(EchoLaterThanReported, StoryEchoDspTest, ::testing::Values(0, 25),
                         [](const auto& info) { return "By" + std::to_string(info.param) + "ms"; });

// Where in `mic` the echo of `ref` comes: the lag (0 to max_lag samples) of their largest
// cross-correlation over `length` samples from `from`.
std::size_t echo_lag(const std::vector<std::int16_t>& mic, const std::vector<std::int16_t>& ref,
                     std::size_t from, std::size_t length, std::size_t max_lag) {
    std::size_t best_lag = 0;
    double best = 0;
    for (std::size_t lag = 0; lag < max_lag; ++lag) {
        double sum = 0;
        for (std::size_t i = from; i < from + length; ++i)
            sum += static_cast<double>(ref[i]) * mic[i + lag];
        if (sum > best) {
            best = sum;
            best_lag = lag;
        }
    }
    return best_lag;
}

// The story on a speaker whose clock runs 1000 ppm slow or fast against the microphone's (two
// sound cards: a few hundred ppm is usual, so this is a few minutes' drift in one). The dsp
// thread reads the reference at the capture's pace, so the echo stays as far behind its
// reference all story long, within half a millisecond (read at its own pace, the reference moves
// 40 ms between the two places measured), the echo is never taken for the user, and the user
// talking over the model is heard.
class SeparateClocksDspTest : public ConversationDspTest,
                              public ::testing::WithParamInterface<double> {
protected:
    // Carrying the echo from one clock to the other takes the simulated device 17 ms more than
    // a block: the room is that much shorter, so the echo comes as late as in the tests above.
    static constexpr int kRoomDelayMs = 23;
    void SetUp() override {
        // ctest runs the cases side by side: each records to its own file.
        record_path_ =
            ::testing::TempDir() + "parley_separate_clocks_" + std::to_string(::getpid()) + ".wav";
        start(dsp::kDefaultEchoMode, kRateHz / 100, GetParam(), kRoomDelayMs, record_path_);
    }
    std::string record_path_;
};

TEST_P(SeparateClocksDspTest, TheEchoStaysAsFarBehindItsReferenceAllStoryLong) {
    const double output_ppm = GetParam();
    ASSERT_NEAR(static_cast<double>(device_->latency().output.count()), 27000.0, 1000.0);
    const auto sentences = story_sentences();
    ASSERT_EQ(sentences.size(), 14u);
    run_ms(3000);  // the model speaks once the dsp thread has settled on the reference
    double story_ms = 0;
    for (const auto& pcm : sentences) {
        ASSERT_TRUE(player_.push(2, pcm));
        story_ms += static_cast<double>(pcm.size()) / 24.0;
    }
    // The story takes longer to play on a slow speaker clock, and less on a fast one.
    // The correction at any one moment moves with the dsp thread's timing (a loaded machine, the
    // sanitizers): its mean over the story's second half is what must match the drift.
    const int story_run_ms = static_cast<int>(story_ms * (1.0 - output_ppm * 1e-6)) + 500;
    double correction_sum = 0;
    int corrections = 0;
    for (int ran_ms = 0; ran_ms < story_run_ms; ran_ms += 500) {
        run_ms(std::min(500, story_run_ms - ran_ms));
        if (2 * ran_ms >= story_run_ms) {
            correction_sum += dsp_->reference_correction_ppm();
            ++corrections;
        }
    }
    EXPECT_NEAR(player_.played_ms(2), story_ms, 20.0);
    EXPECT_NEAR(correction_sum / corrections, output_ppm, 100.0);

    ASSERT_TRUE(player_.push(3, model_speech()));
    run_ms(3000);
    EXPECT_EQ(observer_.starts.load(), 0)
        << "the echo was taken for the user at " << observer_.last_onset_ms.load() << " ms";
    const double said_ms = dsp_->now_ms();
    device_->say(test::speak("stop, what is two plus two"));
    run_ms(2500);
    EXPECT_GE(observer_.last_onset_ms.load(), said_ms) << "the user's voice was not heard";

    dsp_->stop();  // finishes the recording: microphone left, reference right
    auto wav = dsp::WavReader::open(record_path_);
    ASSERT_TRUE(wav);
    std::vector<std::int16_t> stereo(static_cast<std::size_t>(story_ms + 10000) * 32);
    const auto got = wav->read(stereo);
    ASSERT_TRUE(got);
    std::vector<std::int16_t> mic(*got / 2), ref(*got / 2);
    for (std::size_t i = 0; i < mic.size(); ++i) {
        mic[i] = stereo[2 * i];
        ref[i] = stereo[2 * i + 1];
    }
    constexpr std::size_t kWindow = 4 * kRateHz, kMaxLag = kRateHz / 10;
    const std::size_t story_start = 3 * kRateHz;
    const std::size_t story_end = story_start + static_cast<std::size_t>(story_ms) * 16;
    ASSERT_GE(ref.size(), story_end + kMaxLag);
    // From fifteen seconds in: the controller has settled on the drift by then.
    const auto early = echo_lag(mic, ref, story_start + 15 * kRateHz, kWindow, kMaxLag);
    const auto late = echo_lag(mic, ref, story_end - 6 * kRateHz, kWindow, kMaxLag);
    EXPECT_GT(early, 0u);
    EXPECT_NEAR(static_cast<double>(late), static_cast<double>(early), 8.0)
        << "the echo moved against its reference over the story (in 16 kHz samples)";
    std::remove(record_path_.c_str());
}

INSTANTIATE_TEST_SUITE_P(Speaker, SeparateClocksDspTest, ::testing::Values(-1000.0, 1000.0),
                         [](const auto& info) {
                             return info.param > 0 ? std::string("Fast") : std::string("Slow");
                         });

// The same story arriving late, as from a loaded server: 200 ms chunks, and now and then the
// Player runs dry for 30-250 ms before the next one (the far end stops and starts mid-word).
TEST_F(ConversationDspTest, TheStoryWithPlaybackGapsIsNeverTakenForTheUser) {
    const auto sentences = story_sentences();
    ASSERT_EQ(sentences.size(), 14u);
    constexpr int kGapsMs[] = {0, 0, 30, 0, 80, 0, 0, 150, 0, 250, 0, 40};
    std::size_t chunks = 0;
    double story_ms = 0;
    for (const auto& pcm : sentences) {
        for (std::size_t pos = 0; pos < pcm.size(); pos += 4800) {
            const auto n = std::min<std::size_t>(4800, pcm.size() - pos);
            ASSERT_TRUE(player_.push(2, std::span(pcm).subspan(pos, n)));
            story_ms += static_cast<double>(n) / 24.0;
            while (player_.queued_samples() > 0) run_ms(10);
            run_ms(kGapsMs[chunks++ % std::size(kGapsMs)]);
        }
    }
    run_ms(1000);
    EXPECT_NEAR(player_.played_ms(2), story_ms, 20.0);
    EXPECT_EQ(observer_.starts.load(), 0)
        << "the echo was taken for the user at " << observer_.last_onset_ms.load() << " ms";
}

// A local barge-in (the Player paused on START) drops the render ring: the output is silent
// within the device's fade of the decision instead of a render depth later, and the Player takes
// the dropped audio back, so the story resumes where the sound stopped.
TEST_F(ConversationDspTest, ALocalBargeInDropsTheRenderRingAndTheResumeLosesNothing) {
    observer_.pauses = &player_;
    const auto speech = model_speech();
    const int speech_ms = static_cast<int>(speech.size() / 24);
    ASSERT_TRUE(player_.push(5, speech));
    run_ms(3000);
    device_->say(test::speak("stop, what is two plus two"));
    run_ms(1500);
    ASSERT_EQ(observer_.starts.load(), 1) << "the user's voice over the echo was not heard";
    ASSERT_TRUE(player_.paused());
    ASSERT_EQ(observer_.silences.load(), 1);
    const double silent_after_ms = observer_.last_silent_ms.load() - observer_.last_start_ms.load();
    EXPECT_GE(silent_after_ms, 0.0);
    EXPECT_LE(silent_after_ms, 6.0) << "the render ring was not dropped";
    const auto stats = device_->stats();
    EXPECT_EQ(stats.flushes, 1u);
    EXPECT_GT(stats.flushed_samples, 0u);
    // What the device dropped went back to the Player, and the rest still plays. Besides the
    // ring, up to a 10 ms block waited to be written to it, the play resampler held ~2.4 ms and
    // the pause's own 5 ms fade-out counts as played: at most ~18 ms more than the drop.
    const double heard_ms = player_.played_ms(5);
    const double taken_back_ms = observer_.played_at_pause_ms.load() - heard_ms;
    const double dropped_ms = static_cast<double>(stats.flushed_samples) / (kRateHz / 1000);
    EXPECT_GT(dropped_ms, 10.0);
    EXPECT_GE(taken_back_ms, dropped_ms - 1.0);
    EXPECT_LE(taken_back_ms, dropped_ms + 18.0);
    player_.resume();
    run_ms(speech_ms - static_cast<int>(heard_ms) + 500);
    EXPECT_NEAR(player_.played_ms(5), speech_ms, 1.0);
    EXPECT_EQ(player_.queued_samples(), 0u);
}

// With headphones the microphone hears no echo: the user interrupts the model from its first
// words, and the server hears them at full level (the echo gate, with no canceller to measure,
// would keep both closed while the model plays).
TEST_F(HeadphonesDspTest, TheUserInterruptsAtOnceAndIsSentAtFullLevel) {
    ASSERT_TRUE(player_.push(4, model_speech()));
    run_ms(500);
    const auto user = test::speak("stop, what is two plus two");
    const std::size_t said_at = sent_.load();
    device_->say(user);
    run_ms(static_cast<int>(user.size() / 16) + 200);
    EXPECT_EQ(observer_.starts.load(), 1) << "the user's voice over the model was not heard";
    // flite begins with a pause; "st" is not voiced: the onset is the vowel's.
    const std::size_t first_loud = test::active_range(user, kRateHz).first;
    const double said_ms = 500.0 + static_cast<double>(first_loud) / 16;
    EXPECT_GE(observer_.last_onset_ms.load(), said_ms);
    EXPECT_LE(observer_.last_onset_ms.load(), said_ms + 300.0);
    const std::lock_guard lock(sent_mutex_);
    ASSERT_GE(sent_audio_.size(), said_at + user.size());
    const auto sent = std::span(sent_audio_).subspan(said_at, user.size());
    EXPECT_NEAR(dsp::energy_dbfs(sent), dsp::energy_dbfs(user), 1.0)
        << "the user's voice was not sent as it was said";
}

// Each message to the session wakes the io thread: a device with 40 ms blocks gets one 40 ms
// message per block, not two of 20 ms.
TEST_F(HeadphonesDspTest, EachDeviceBlockGoesToTheSessionAsOneMessage) {
    dsp_->stop();
    device_->stop();
    start(dsp::EchoMode::kOff, /*block_samples=*/4 * kRateHz / 100);
    {
        const std::lock_guard lock(sent_mutex_);
        message_sizes_.clear();
    }
    device_->say(test::speak("one message per block"));
    run_ms(2000);
    const std::lock_guard lock(sent_mutex_);
    ASSERT_GE(message_sizes_.size(), 40u);
    for (std::size_t i = 0; i < message_sizes_.size(); ++i)
        EXPECT_EQ(message_sizes_[i], 640u) << "message " << i;
}

// `parley talk --input` runs a file device at the model's rates: 16 kHz in, 24 kHz out, so a
// 60 ms block captures 960 samples and plays 1440. The render ring must outlast a block of the
// output, or every callback underruns and the model's voice plays slower, with gaps.
TEST(ConversationDspRatesTest, TheModelPlaysWithoutGapsWhenTheOutputHasItsOwnRate) {
    device::FileDevice device(device::FileDeviceOptions{
        .rate_hz = dsp::kInputRateHz,
        .output_rate_hz = dsp::kOutputRateHz,
        .driver = {.pacing = device::Pacing::kManual, .block_samples = {960}}});
    ASSERT_TRUE(device.open());
    dsp::Player player;
    Observer observer;
    auto dsp =
        ConversationDsp::create(device, player, observer, [](std::span<const std::int16_t>) {},
                                {.echo_mode = dsp::EchoMode::kOff});
    ASSERT_TRUE(dsp) << dsp.error().message();
    ASSERT_TRUE(device.start());
    (*dsp)->start();
    ASSERT_TRUE(player.push(1, model_speech()));
    // Each block once the dsp thread has taken the last one and refilled the render ring (or
    // given up refilling it short of a block).
    auto& render = device.render_ring();
    const auto run_blocks = [&](int blocks) {
        for (int i = 0; i < blocks; ++i) {
            (void)device.step_until_read();
            const auto deadline = std::chrono::steady_clock::now() + 100ms;
            while (render.write_counter() - render.read_counter() < 1440 &&
                   std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(50us);
            }
        }
    };
    run_blocks(5);  // the first blocks may come before the dsp thread filled the ring
    const auto before = device.stats().underruns;
    run_blocks(30);
    const auto after = device.stats();
    (*dsp)->stop();
    device.stop();
    EXPECT_EQ(observer.audible_turn.load(), 1u);
    EXPECT_EQ(after.underruns, before) << after.underrun_samples << " samples of gaps";
    EXPECT_EQ(after.render_samples, after.capture_samples * 3 / 2);
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
