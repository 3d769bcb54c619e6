// SPDX-License-Identifier: Apache-2.0
#include "server/user_input.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "dsp/frame.hpp"
#include "server/engine_error.hpp"

namespace parley::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kRateHz = 16000;
milliseconds samples_to_ms(std::int64_t samples) {
    return milliseconds(samples * 1000 / kRateHz);
}

}  // namespace

Result<std::unique_ptr<UserInput>> UserInput::create(UserInputConfig config,
                                                     RecognizerPool* recognizer,
                                                     UserInputEvents events) {
    auto vad = dsp::Vad::create();
    if (!vad)
        return fail(vad.error());
    auto detector = dsp::SpeechDetector::create(config.detector);
    if (!detector)
        return fail(detector.error());
    return std::unique_ptr<UserInput>(new UserInput(config, recognizer, std::move(events),
                                                    std::move(*vad), std::move(*detector)));
}

UserInput::UserInput(UserInputConfig config, RecognizerPool* recognizer, UserInputEvents events,
                     dsp::Vad vad, dsp::SpeechDetector detector)
    : config_(config),
      recognizer_(recognizer),
      events_(std::move(events)),
      vad_(std::move(vad)),
      detector_(std::move(detector)) {
    frame_.reserve(dsp::kInputFrameSamples);
    if (config_.automatic && recognizer_ != nullptr && config_.early_finish_share > 0.0 &&
        config_.early_finish_share < 1.0) {
        early_finish_frames_ = std::max<std::size_t>(
            1, static_cast<std::size_t>(config_.early_finish_share *
                                        static_cast<double>(detector_.end_silence_frames())));
    }
}

UserInput::~UserInput() {
    cancel();
}

void UserInput::feed(const std::vector<int16_t>& pcm_16k) {
    reap_finished();
    std::span<const int16_t> audio(pcm_16k);
    if (!config_.automatic) {
        // Manual activity: audio outside activityStart/activityEnd is ignored (as Google does).
        if (manual_active_)
            feed_turn(audio);
        return;
    }
    // The detector works on whole 10 ms frames; a partial one waits for the next feed.
    while (!audio.empty()) {
        const auto take = std::min(dsp::kInputFrameSamples - frame_.size(), audio.size());
        frame_.insert(frame_.end(), audio.begin(),
                      audio.begin() + static_cast<std::ptrdiff_t>(take));
        audio = audio.subspan(take);
        if (frame_.size() == dsp::kInputFrameSamples) {
            process_frame(frame_);
            frame_.clear();
        }
    }
}

void UserInput::process_frame(std::span<const int16_t> frame) {
    const bool speech = vad_.process(frame);
    const auto event = detector_.process(frame, speech);
    if (event.type == dsp::SpeechEventType::kStart && !in_turn_) {
        // The kept audio from the padded onset up to and including this frame.
        onset_.clear();
        detector_.copy_audio(event.audio_begin_sample, onset_);
        begin_turn(onset_);
        if (events_.on_speech_start) {
            events_.on_speech_start(samples_to_ms(static_cast<std::int64_t>(event.onset_sample)));
        }
        return;
    }
    if (!in_turn_)
        return;
    // Recognition finished early, but the user goes on: the pause was not the end.
    if (speech && early_text_)
        restart_recognition();
    feed_turn(frame);
    if (event.type == dsp::SpeechEventType::kEnd) {
        end_turn();
    } else if (early_finish_frames_ > 0 && !early_text_ &&
               detector_.silence_frames() == early_finish_frames_) {
        finish_early();
    }
}

void UserInput::finish_early() {
    // Only when the utterance holds a decoder: then finish() completes on this thread at once
    // instead of waiting for one.
    if (!utterance_ || !utterance_->has_decoder())
        return;
    const auto started = Clock::now();
    auto text = utterance_->finish();
    utterance_.reset();
    early_work_ = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    if (!text) {
        log::warn("recognition failed: {}", text.error().message());
        restart_recognition();
        return;
    }
    early_text_ = std::move(*text);
}

void UserInput::restart_recognition() {
    early_text_.reset();
    utterance_.emplace(recognizer_->begin());
    if (auto fed = utterance_->feed(turn_audio_); !fed) {
        log::warn("recognition: {}", fed.error().message());
        utterance_->cancel();
        utterance_.reset();
    }
}

void UserInput::feed_turn(std::span<const int16_t> audio) {
    turn_samples_ += static_cast<std::int64_t>(audio.size());
    if (early_finish_frames_ > 0)
        turn_audio_.insert(turn_audio_.end(), audio.begin(), audio.end());
    if (!utterance_)
        return;
    if (auto fed = utterance_->feed(audio); !fed) {
        log::warn("recognition: {}", fed.error().message());
        utterance_->cancel();
        utterance_.reset();
    }
}

void UserInput::begin_turn(std::span<const int16_t> onset_audio) {
    in_turn_ = true;
    turn_samples_ = 0;
    turn_audio_.clear();
    early_text_.reset();
    if (recognizer_ != nullptr)
        utterance_.emplace(recognizer_->begin());
    if (!onset_audio.empty())
        feed_turn(onset_audio);
}

void UserInput::end_turn() {
    in_turn_ = false;
    const auto ended_at = Clock::now();
    UserTurn turn;
    turn.speech = samples_to_ms(turn_samples_);
    turn.ended_at = ended_at;
    turn_samples_ = 0;
    turn_audio_ = {};
    if (early_text_) {
        // Recognized during the silence: nothing left to do now.
        turn.text = std::move(*early_text_);
        early_text_.reset();
        turn.recognition_tail = milliseconds(0);
        log::debug("recognition finished {} ms before the turn ended", early_work_.count());
        if (events_.on_turn)
            events_.on_turn(std::move(turn));
        return;
    }
    if (!utterance_) {
        if (events_.on_turn)
            events_.on_turn(std::move(turn));
        return;
    }
    // finish_async, never finish(): a worker must not wait for a decoder that another session's
    // queued work would free.
    auto done = std::make_shared<std::atomic<bool>>(false);
    utterance_->finish_async(
        [done, on_turn = events_.on_turn, turn](Result<std::string> text) mutable {
            done->store(true);
            if (!text) {
                if (text.error() != make_error_code(EngineError::kCancelled)) {
                    log::warn("recognition failed: {}", text.error().message());
                }
                return;
            }
            turn.text = std::move(*text);
            turn.recognition_tail =
                std::chrono::duration_cast<milliseconds>(Clock::now() - turn.ended_at);
            if (on_turn)
                on_turn(std::move(turn));
        });
    finishing_.push_back({std::move(*utterance_), std::move(done)});
    utterance_.reset();
}

void UserInput::reap_finished() {
    std::erase_if(finishing_, [](const Finishing& f) { return f.done->load(); });
}

void UserInput::activity_start() {
    if (manual_active_)
        return;  // nested activityStart is ignored
    manual_active_ = true;
    begin_turn({});
}

void UserInput::activity_end() {
    if (!manual_active_)
        return;
    manual_active_ = false;
    if (turn_samples_ == 0) {
        if (utterance_)
            utterance_->cancel();
        utterance_.reset();
        in_turn_ = false;
        if (events_.on_violation)
            events_.on_violation("Precondition check failed.");
        return;
    }
    end_turn();
}

void UserInput::audio_stream_end() {
    if (config_.automatic && in_turn_)
        end_turn();
    detector_.reset();
    vad_.reset();
    frame_.clear();
}

void UserInput::cancel() {
    for (auto& f : finishing_) f.utterance.cancel();
    finishing_.clear();
    if (utterance_)
        utterance_->cancel();
    utterance_.reset();
    early_text_.reset();
    turn_audio_ = {};
    in_turn_ = false;
}

}  // namespace parley::server
