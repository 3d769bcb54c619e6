// SPDX-License-Identifier: Apache-2.0
// UserInput: the listening half of a server session. Takes the user's 16 kHz audio, finds where
// speech starts and ends (automatic activity detection with the setup's sensitivities, padding
// and silence, or the client's activityStart/activityEnd), and streams each turn's audio into a
// recognizer while the user speaks, so little work is left when the turn ends. With automatic
// detection it also finishes recognition early, halfway through the end-of-speech silence, so
// the text is ready when the turn ends (and starts again from the turn's start if the user goes
// on speaking). Runs on the session's input WorkQueue (work context); its events are called
// there (or on the work thread that finishes a recognition) and must not block.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "dsp/speech_detector.hpp"
#include "dsp/vad.hpp"
#include "server/recognizer.hpp"

namespace parley::server {

struct UserInputConfig {
    bool automatic = true;  // false: only activity_start()/activity_end() delimit turns
    dsp::SpeechDetectorConfig detector;
    // Automatic detection: finish recognition after this share of the end-of-speech silence
    // (0 = only when the turn ends). The longest pause inside an utterance measured on flite
    // speech in noise was ~630 ms of the default 800 ms, so a pause of half of it is usually
    // the end; when it is not, recognition starts again from the turn's first sample.
    double early_finish_share = 0.5;
};

// One finished user turn.
struct UserTurn {
    std::string text;                     // lower-case words; empty when nothing was recognized
    std::chrono::milliseconds speech{0};  // how long the turn's audio was
    // Work time spent on recognition after the turn ended (what the user waits for).
    std::chrono::milliseconds recognition_tail{0};
    std::chrono::steady_clock::time_point ended_at;  // when the end was decided
};

struct UserInputEvents {
    // Speech began (automatic detection) at `offset` into the session's audio stream.
    std::function<void(std::chrono::milliseconds offset)> on_speech_start;
    std::function<void(UserTurn turn)> on_turn;
    // The client broke a rule (e.g. activityEnd right after activityStart with no audio).
    std::function<void(std::string reason)> on_violation;
};

class UserInput {
public:
    // `recognizer` may be null (turn detection only: turns carry no text).
    [[nodiscard]] static Result<std::unique_ptr<UserInput>> create(UserInputConfig config,
                                                                   RecognizerPool* recognizer,
                                                                   UserInputEvents events);
    ~UserInput();
    UserInput(const UserInput&) = delete;
    UserInput& operator=(const UserInput&) = delete;

    void feed(const std::vector<int16_t>& pcm_16k);
    void activity_start();
    void activity_end();
    // The client paused its microphone: a turn in progress ends now.
    void audio_stream_end();
    // Drops the turn in progress (session closing).
    void cancel();

private:
    UserInput(UserInputConfig config, RecognizerPool* recognizer, UserInputEvents events,
              dsp::Vad vad, dsp::SpeechDetector detector);
    void process_frame(std::span<const int16_t> frame);
    void feed_turn(std::span<const int16_t> audio);
    void begin_turn(std::span<const int16_t> onset_audio);
    void end_turn();
    void reap_finished();
    void finish_early();
    void restart_recognition();

    // Turns whose recognition is finishing; kept alive until their handler has run.
    struct Finishing {
        Utterance utterance;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<Finishing> finishing_;

    UserInputConfig config_;
    RecognizerPool* recognizer_;
    UserInputEvents events_;
    dsp::Vad vad_;
    dsp::SpeechDetector detector_;
    std::vector<int16_t> frame_;  // a partial 10 ms frame between feeds
    std::vector<int16_t> onset_;  // scratch for the audio handed on at a START
    std::optional<Utterance> utterance_;
    // Automatic detection with a recognizer: the turn's audio so far (to start recognition again
    // after an early finish), the early finish point, and its text while it still holds.
    std::vector<int16_t> turn_audio_;
    std::size_t early_finish_frames_ = 0;  // 0: off
    std::optional<std::string> early_text_;
    std::chrono::milliseconds early_work_{0};
    bool in_turn_ = false;
    bool manual_active_ = false;
    std::int64_t turn_samples_ = 0;
};

}  // namespace parley::server
