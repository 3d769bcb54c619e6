// SPDX-License-Identifier: Apache-2.0
// SpeechDetector driven by Vad on flite speech, clean and in noise and music; and the same
// scenarios driven by a plain energy threshold, which must get them wrong (so these tests prove
// that the real VAD is what passes). PARLEY_VAD_REPORT=1 prints the measurements behind the
// defaults; PARLEY_TEST_WAV_DIR=/tmp/x writes the scenarios as WAV files.
#include "dsp/speech_detector.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dsp/error.hpp"
#include "dsp/frame.hpp"
#include "dsp/vad.hpp"
#include "support/flite_speech.hpp"
#include "support/test_audio.hpp"

namespace parley::dsp {
namespace {

using test::Samples;
constexpr int kRate = 16000;
constexpr std::size_t kFrame = samples_per_frame(kRate);

bool report_enabled() {
    return std::getenv("PARLEY_VAD_REPORT") != nullptr;
}

double to_ms(double samples) {
    return samples * 1000.0 / kRate;
}

// A per-frame classifier: the real Vad, or the energy threshold below.
using Classifier = std::function<bool(std::span<const std::int16_t>)>;

Classifier real_vad() {
    auto vad = Vad::create();
    EXPECT_TRUE(vad.has_value());
    auto shared = std::make_shared<Vad>(std::move(*vad));
    return [shared](std::span<const std::int16_t> frame) { return shared->process(frame); };
}

// The naive detector the tests must defeat: a frame is speech when its level is above -45 dBFS.
Classifier energy_threshold() {
    return [](std::span<const std::int16_t> frame) { return test::rms_dbfs(frame) > -45.0; };
}

struct Segment {
    std::uint64_t onset = 0;
    std::uint64_t audio_begin = 0;
    std::uint64_t start_decided = 0;
    std::optional<std::uint64_t> end;  // nullopt: never ended
    std::uint64_t end_decided = 0;
};

struct Detection {
    std::vector<Segment> segments;
    int speech_frames = 0;
};

Detection detect(const Samples& x, const Classifier& classify,
                 const SpeechDetectorConfig& config = {}) {
    auto detector = SpeechDetector::create(config);
    EXPECT_TRUE(detector.has_value());
    Detection run;
    for (std::size_t pos = 0; pos + kFrame <= x.size(); pos += kFrame) {
        const auto frame = std::span(x).subspan(pos, kFrame);
        const bool speech = classify(frame);
        run.speech_frames += speech ? 1 : 0;
        const SpeechEvent e = detector->process(frame, speech);
        if (e.type == SpeechEventType::kStart) {
            run.segments.push_back(
                {e.onset_sample, e.audio_begin_sample, e.decided_at_sample, {}, 0});
        } else if (e.type == SpeechEventType::kEnd) {
            EXPECT_FALSE(run.segments.empty());
            EXPECT_EQ(e.onset_sample, run.segments.back().onset);
            run.segments.back().end = e.end_sample;
            run.segments.back().end_decided = e.decided_at_sample;
        }
    }
    return run;
}

struct Utterance {
    std::string text;
    test::Voice voice;
};

// Natural pauses: sentence breaks and commas inside one utterance.
const std::vector<Utterance>& utterances() {
    static const std::vector<Utterance> u = {
        {"Hello there. I would like to book a table for two, please, at seven tonight.",
         test::Voice::kSlt},
        {"Can you tell me the weather in Paris, tomorrow morning?", test::Voice::kRms},
        {"Thanks, that is all I needed for now.", test::Voice::kAwb},
    };
    return u;
}

constexpr std::size_t kLeadSamples = 16000;  // 1 s of silence before
constexpr std::size_t kTailSamples = 32000;  // 2 s after: room for END

struct Scenario {
    std::string name;
    Samples audio;
    bool has_speech = true;
    std::size_t onset = 0;  // true onset / end of the clean speech
    std::size_t end = 0;
};

// Each utterance clean, in white and pink noise at 15 and 5 dB SNR, and with music 10 dB below
// the speech; plus noise-only and music-only at the levels of the 5 dB / music mixes.
std::vector<Scenario> scenarios() {
    std::vector<Scenario> out;
    int index = 0;
    for (const auto& u : utterances()) {
        const Samples speech = test::pad(test::speak(u.text, u.voice), kLeadSamples, kTailSamples);
        const auto [onset, end] = test::active_range(speech, kRate);
        const std::string tag = std::string(test::voice_name(u.voice)) + std::to_string(index);
        const auto seed = static_cast<std::uint32_t>(10 * index);
        const Samples white = test::white_noise(speech.size(), 1000.0, seed + 1);
        const Samples pink = test::pink_noise(speech.size(), 1000.0, seed + 2);
        const Samples music = test::music(speech.size(), kRate, 1000.0, seed + 3);
        out.push_back({tag + "_clean", speech, true, onset, end});
        for (double snr : {15.0, 5.0}) {
            const std::string s = std::to_string(static_cast<int>(snr)) + "dB";
            out.push_back(
                {tag + "_white" + s, test::mix_at_snr(speech, white, snr), true, onset, end});
            out.push_back(
                {tag + "_pink" + s, test::mix_at_snr(speech, pink, snr), true, onset, end});
        }
        out.push_back(
            {tag + "_music10dB", test::mix_at_snr(speech, music, 10.0), true, onset, end});
        const double active = test::active_rms(speech, kRate);
        const double noise_gain = active / std::pow(10.0, 5.0 / 20.0) / 1000.0;
        const double music_gain = active / std::pow(10.0, 10.0 / 20.0) / 1000.0;
        out.push_back({tag + "_white_only", test::scale(white, noise_gain), false});
        out.push_back({tag + "_pink_only", test::scale(pink, noise_gain), false});
        out.push_back({tag + "_music_only", test::scale(music, music_gain), false});
        ++index;
    }
    for (const auto& s : out) test::dump_wav("vad_" + s.name, s.audio, kRate);
    return out;
}

const std::vector<Scenario>& all_scenarios() {
    static const std::vector<Scenario> s = scenarios();
    return s;
}

// Tolerances: onset within -100..+200 ms of the true onset (the Vad marks voiced frames; an
// unvoiced first phoneme comes a little earlier), last speech within 350 ms before to 200 ms
// after the true end (trailing unvoiced sounds and breath are not speech frames).
constexpr double kOnsetEarlyMs = 100, kOnsetLateMs = 200;
constexpr double kEndEarlyMs = 350, kEndLateMs = 200;

// Whether `run` is right for `s`: one segment near the truth that ends, or nothing for no speech.
bool correct(const Scenario& s, const Detection& run) {
    if (!s.has_speech)
        return run.segments.empty();
    if (run.segments.size() != 1)
        return false;
    const Segment& seg = run.segments[0];
    if (!seg.end)
        return false;
    const double onset_error_ms =
        to_ms(static_cast<double>(seg.onset) - static_cast<double>(s.onset));
    const double end_error_ms = to_ms(static_cast<double>(*seg.end) - static_cast<double>(s.end));
    return onset_error_ms >= -kOnsetEarlyMs && onset_error_ms <= kOnsetLateMs &&
           end_error_ms >= -kEndEarlyMs && end_error_ms <= kEndLateMs;
}

void expect_correct(const Scenario& s, const Detection& run) {
    SCOPED_TRACE(s.name);
    if (!s.has_speech) {
        EXPECT_TRUE(run.segments.empty())
            << run.segments.size() << " segment(s), first onset at "
            << to_ms(static_cast<double>(run.segments[0].onset)) << " ms";
        return;
    }
    ASSERT_EQ(run.segments.size(), 1u);
    const Segment& seg = run.segments[0];
    ASSERT_TRUE(seg.end.has_value()) << "speech never ended";
    EXPECT_GE(to_ms(static_cast<double>(seg.onset)),
              to_ms(static_cast<double>(s.onset)) - kOnsetEarlyMs);
    EXPECT_LE(to_ms(static_cast<double>(seg.onset)),
              to_ms(static_cast<double>(s.onset)) + kOnsetLateMs);
    EXPECT_GE(to_ms(static_cast<double>(*seg.end)),
              to_ms(static_cast<double>(s.end)) - kEndEarlyMs);
    EXPECT_LE(to_ms(static_cast<double>(*seg.end)), to_ms(static_cast<double>(s.end)) + kEndLateMs);
    // END is decided after the configured silence, never before the speech ended.
    EXPECT_GE(seg.end_decided, *seg.end);
    EXPECT_GE(seg.start_decided, seg.onset);
}

TEST(SpeechDetectorTest, RejectsInvalidConfig) {
    EXPECT_EQ(SpeechDetector::create({.sample_rate_hz = 44150}).error(), DspError::kInvalidRate);
    EXPECT_EQ(SpeechDetector::create({.prefix_padding_ms = -1}).error(),
              DspError::kInvalidArgument);
    EXPECT_EQ(SpeechDetector::create({.silence_duration_ms = 20}).error(),
              DspError::kInvalidArgument);
    EXPECT_TRUE(SpeechDetector::create({.sample_rate_hz = 48000}).has_value());
}

TEST(SpeechDetectorTest, StateMachineOnScriptedDecisions) {
    auto d = SpeechDetector::create({.prefix_padding_ms = 100, .silence_duration_ms = 200});
    ASSERT_TRUE(d.has_value());
    Samples frame(kFrame);
    std::vector<SpeechEvent> events;
    std::uint64_t frame_index = 0;
    auto feed = [&](int frames, bool speech) {
        for (int i = 0; i < frames; ++i, ++frame_index) {
            for (std::size_t k = 0; k < kFrame; ++k) {
                frame[k] = static_cast<std::int16_t>(frame_index);  // tag samples by frame
            }
            auto e = d->process(frame, speech);
            if (e.type != SpeechEventType::kNone)
                events.push_back(e);
        }
    };
    feed(50, false);
    feed(5, true);  // a blip: not enough for START (default needs 10 of 30)
    feed(40, false);
    EXPECT_TRUE(events.empty());
    feed(12, true);  // frames 95..106: START after the 10th, onset at frame 95
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, SpeechEventType::kStart);
    EXPECT_EQ(events[0].onset_sample, 95 * kFrame);
    EXPECT_EQ(events[0].audio_begin_sample, 85 * kFrame);  // 100 ms prefix padding
    EXPECT_EQ(events[0].decided_at_sample, 105 * kFrame);
    EXPECT_TRUE(d->in_speech());
    // The kept audio reaches back to the padded onset, frame by frame.
    Samples kept;
    d->copy_audio(events[0].audio_begin_sample, kept);
    ASSERT_EQ(kept.size(), (107 - 85) * kFrame);
    EXPECT_EQ(kept.front(), 85);
    EXPECT_EQ(kept.back(), 106);
    feed(19, false);  // a 190 ms pause: not yet END (needs 200 ms)
    feed(3, true);    // speech resumes: frames 126..128
    feed(19, false);
    EXPECT_EQ(events.size(), 1u);
    feed(1, false);  // 200 ms of silence after frame 128
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].type, SpeechEventType::kEnd);
    EXPECT_EQ(events[1].onset_sample, 95 * kFrame);
    EXPECT_EQ(events[1].end_sample, 129 * kFrame);
    EXPECT_EQ(events[1].decided_at_sample, 149 * kFrame);
    EXPECT_FALSE(d->in_speech());
    d->reset();
    EXPECT_EQ(d->position_samples(), 0u);
    EXPECT_FALSE(d->in_speech());
}

// The client's echo gate vetoes a START with may_start: the frames still count, and the START
// comes (with the same onset) on the first frame that allows it while the window holds enough.
TEST(SpeechDetectorTest, AVetoedStartIsDeferredNotLost) {
    auto d = SpeechDetector::create();
    ASSERT_TRUE(d.has_value());
    const Samples frame(kFrame, 0);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(d->process(frame, false).type, SpeechEventType::kNone);
    // Frames 20..32 are speech; the START (due at frame 29) is vetoed through frame 31.
    for (int i = 20; i < 32; ++i) {
        EXPECT_EQ(d->process(frame, true, /*may_start=*/false).type, SpeechEventType::kNone);
    }
    EXPECT_FALSE(d->in_speech());
    const auto start = d->process(frame, true);
    EXPECT_EQ(start.type, SpeechEventType::kStart);
    EXPECT_EQ(start.onset_sample, 20 * kFrame);
    EXPECT_EQ(start.decided_at_sample, 33 * kFrame);

    // Vetoed until too few of its speech frames are left in the window: no START at all.
    auto e = SpeechDetector::create();
    ASSERT_TRUE(e.has_value());
    for (int i = 0; i < 12; ++i) (void)e->process(frame, true, false);
    for (int i = 0; i < 21; ++i) (void)e->process(frame, false, false);
    for (int i = 0; i < 30; ++i) {
        EXPECT_EQ(e->process(frame, false).type, SpeechEventType::kNone) << "frame " << i;
    }
    EXPECT_FALSE(e->in_speech());
}

// The measurements behind the defaults (printed with PARLEY_VAD_REPORT=1).
TEST(SpeechDetectorTest, ReportVadMeasurements) {
    if (!report_enabled())
        GTEST_SKIP() << "set PARLEY_VAD_REPORT=1 to print the measurements";
    for (const auto& s : all_scenarios()) {
        auto vad = Vad::create();
        ASSERT_TRUE(vad.has_value());
        int speech_frames = 0, truth_frames = 0, false_frames = 0, max_gap = 0, gap = 0;
        int first300 = 0, max_window_false = 0;
        std::vector<bool> recent;
        bool seen_speech = false;
        for (std::size_t pos = 0; pos + kFrame <= s.audio.size(); pos += kFrame) {
            const bool v = vad->process(std::span(s.audio).subspan(pos, kFrame));
            const bool truth = s.has_speech && pos >= s.onset && pos < s.end;
            truth_frames += truth;
            speech_frames += truth && v;
            false_frames += !truth && v;
            if (truth && pos < s.onset + 4800)
                first300 += v;
            recent.push_back(v && !truth);
            if (recent.size() > 30)
                recent.erase(recent.begin());
            int w = 0;
            for (bool b : recent) w += b;
            max_window_false = std::max(max_window_false, w);
            if (truth) {
                if (v) {
                    if (seen_speech)
                        max_gap = std::max(max_gap, gap);
                    seen_speech = true;
                    gap = 0;
                } else {
                    ++gap;
                }
            }
        }
        std::printf(
            "%-22s recall %5.1f %%  first300ms %2d/30  longest-gap %4d ms  false %4d frames"
            "  max-false-in-300ms %2d\n",
            s.name.c_str(), truth_frames ? 100.0 * speech_frames / truth_frames : 0.0, first300,
            max_gap * 10, false_frames, max_window_false);
        const Detection run = detect(s.audio, real_vad());
        for (const auto& seg : run.segments) {
            std::printf("%-22s   segment onset %+6.0f ms (latency %4.0f ms)  end %+6.0f ms\n", "",
                        to_ms(static_cast<double>(seg.onset) - static_cast<double>(s.onset)),
                        to_ms(static_cast<double>(seg.start_decided - seg.onset)),
                        seg.end ? to_ms(static_cast<double>(*seg.end) - static_cast<double>(s.end))
                                : 99999.0);
        }
    }
}

TEST(SpeechDetectorTest, VadFindsOneSegmentPerUtteranceInCleanNoisyAndMusicAudio) {
    for (const auto& s : all_scenarios()) {
        if (!s.has_speech)
            continue;
        expect_correct(s, detect(s.audio, real_vad()));
    }
}

TEST(SpeechDetectorTest, VadFindsNoSegmentInNoiseOrMusicAlone) {
    for (const auto& s : all_scenarios()) {
        if (s.has_speech)
            continue;
        expect_correct(s, detect(s.audio, real_vad()));
    }
}

// The same scenarios through a plain energy threshold: it handles clean speech (so the harness
// is fair) but fires on noise and music alone and never ends in 5 dB noise. If this test
// passed with the energy threshold, the scenarios above would prove nothing.
TEST(SpeechDetectorTest, EnergyThresholdFailsTheSameScenarios) {
    int wrong = 0;
    int total = 0;
    for (const auto& s : all_scenarios()) {
        SCOPED_TRACE(s.name);
        const Detection run = detect(s.audio, energy_threshold());
        ++total;
        if (!correct(s, run))
            ++wrong;
        if (s.name.ends_with("_clean")) {
            EXPECT_TRUE(correct(s, run)) << "the energy threshold should handle clean speech";
        }
        if (s.name.ends_with("_white_only") || s.name.ends_with("_pink_only")) {
            EXPECT_FALSE(run.segments.empty()) << "expected the energy threshold to fire on noise";
        }
        if (s.name.ends_with("_white5dB") || s.name.ends_with("_pink5dB")) {
            ASSERT_FALSE(run.segments.empty());
            EXPECT_FALSE(run.segments.back().end.has_value())
                << "expected the energy threshold never to end in 5 dB noise";
        }
    }
    EXPECT_GE(wrong, total / 2);
}

TEST(SpeechDetectorTest, StartSensitivityTradesLatencyForRobustness) {
    for (const auto& s : all_scenarios()) {
        if (!s.name.ends_with("_clean") && !s.name.ends_with("_white15dB"))
            continue;
        SCOPED_TRACE(s.name);
        std::vector<double> latency_ms;
        for (Sensitivity sens : {Sensitivity::kHigh, Sensitivity::kDefault, Sensitivity::kLow}) {
            const Detection run = detect(s.audio, real_vad(), {.start_sensitivity = sens});
            expect_correct(s, run);
            if (run.segments.size() != 1)
                return;
            latency_ms.push_back(
                to_ms(static_cast<double>(run.segments[0].start_decided - s.onset)));
        }
        EXPECT_LT(latency_ms[0], latency_ms[1]);  // HIGH commits sooner
        EXPECT_LT(latency_ms[1], latency_ms[2]);  // LOW later
    }
}

TEST(SpeechDetectorTest, EndSensitivityAndSilenceDurationSetTheHangover) {
    const Scenario& s = all_scenarios().front();  // slt, clean
    ASSERT_TRUE(s.name.ends_with("_clean"));
    for (int silence_ms : {500, 800, 1200}) {
        std::vector<double> hangover_ms;
        for (Sensitivity sens : {Sensitivity::kHigh, Sensitivity::kDefault, Sensitivity::kLow}) {
            SCOPED_TRACE("silence " + std::to_string(silence_ms) + " ms, sensitivity " +
                         std::to_string(static_cast<int>(sens)));
            const Detection run = detect(
                s.audio, real_vad(), {.end_sensitivity = sens, .silence_duration_ms = silence_ms});
            ASSERT_EQ(run.segments.size(), 1u);
            ASSERT_TRUE(run.segments[0].end.has_value());
            hangover_ms.push_back(
                to_ms(static_cast<double>(run.segments[0].end_decided - *run.segments[0].end)));
        }
        EXPECT_NEAR(hangover_ms[0], 0.75 * silence_ms, 10.0);
        EXPECT_NEAR(hangover_ms[1], silence_ms, 10.0);
        EXPECT_NEAR(hangover_ms[2], 1.5 * silence_ms, 10.0);
    }
}

TEST(SpeechDetectorTest, PrefixPaddingHandsTheOnsetToTheRecognizer) {
    const Scenario& s = all_scenarios().front();
    for (int prefix_ms : {0, 300, 500}) {
        SCOPED_TRACE(prefix_ms);
        auto vad = Vad::create();
        auto detector = SpeechDetector::create({.prefix_padding_ms = prefix_ms});
        ASSERT_TRUE(vad && detector);
        for (std::size_t pos = 0; pos + kFrame <= s.audio.size(); pos += kFrame) {
            const auto frame = std::span(s.audio).subspan(pos, kFrame);
            const auto e = detector->process(frame, vad->process(frame));
            if (e.type != SpeechEventType::kStart)
                continue;
            EXPECT_EQ(e.audio_begin_sample, e.onset_sample - ms_to_samples(prefix_ms, kRate));
            Samples kept;
            detector->copy_audio(e.audio_begin_sample, kept);
            ASSERT_EQ(kept.size(), e.decided_at_sample - e.audio_begin_sample);
            // Exactly the input audio from the padded onset on.
            EXPECT_TRUE(std::equal(kept.begin(), kept.end(),
                                   s.audio.begin() + static_cast<long>(e.audio_begin_sample)));
            // With 300 ms or more, the kept audio starts before the true onset.
            if (prefix_ms >= 300) {
                EXPECT_LE(e.audio_begin_sample, s.onset);
            }
            break;
        }
    }
}

}  // namespace
}  // namespace parley::dsp
