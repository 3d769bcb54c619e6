// SPDX-License-Identifier: Apache-2.0
#include "dsp/speech_detector.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "base/check.hpp"
#include "dsp/error.hpp"
#include "dsp/frame.hpp"

namespace parley::dsp {
namespace {

struct StartRule {
    std::size_t window_frames;
    std::size_t min_speech_frames;
};

// See SpeechDetectorConfig for the measurements behind these numbers.
StartRule start_rule(Sensitivity s) {
    switch (s) {
        case Sensitivity::kHigh:
            return {30, 6};
        case Sensitivity::kLow:
            return {40, 15};
        case Sensitivity::kDefault:
            break;
    }
    return {30, 10};
}

double end_factor(Sensitivity s) {
    switch (s) {
        case Sensitivity::kHigh:
            return 0.75;
        case Sensitivity::kLow:
            return 1.5;
        case Sensitivity::kDefault:
            break;
    }
    return 1.0;
}

constexpr std::size_t kMaxWindowFrames = 40;

}  // namespace

struct SpeechDetector::Impl {
    SpeechDetectorConfig config;
    std::size_t frame_samples = 0;
    StartRule start{};
    std::size_t end_silence_frames = 0;
    std::size_t prefix_samples = 0;

    // Decisions of the last start.window_frames frames (ring), and their count of speech.
    std::array<bool, kMaxWindowFrames> window{};
    std::size_t window_next = 0;
    std::size_t window_speech = 0;

    bool in_speech = false;
    std::uint64_t frames = 0;  // frames processed
    std::uint64_t onset_sample = 0;
    std::uint64_t audio_begin_sample = 0;
    std::uint64_t last_speech_end_sample = 0;
    std::size_t silence_frames = 0;

    // Audio ring: prefix padding + the START window + one frame.
    std::vector<std::int16_t> audio;
    std::uint64_t position = 0;

    void clear() {
        window.fill(false);
        window_next = 0;
        window_speech = 0;
        in_speech = false;
        frames = 0;
        onset_sample = audio_begin_sample = last_speech_end_sample = 0;
        silence_frames = 0;
        position = 0;
        std::fill(audio.begin(), audio.end(), std::int16_t{0});
    }

    // Sample position of the first speech frame still in the START window.
    std::uint64_t first_speech_in_window() const {
        const std::size_t n = std::min<std::uint64_t>(frames, start.window_frames);
        for (std::size_t age = n; age >= 1; --age) {
            // The frame `age` frames back (1 = the newest).
            const std::size_t index =
                (window_next + start.window_frames - age) % start.window_frames;
            if (window[index])
                return (frames - age) * frame_samples;
        }
        return (frames - 1) * frame_samples;
    }
};

SpeechDetector::SpeechDetector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SpeechDetector::SpeechDetector(SpeechDetector&&) noexcept = default;
SpeechDetector& SpeechDetector::operator=(SpeechDetector&&) noexcept = default;
SpeechDetector::~SpeechDetector() = default;

Result<SpeechDetector> SpeechDetector::create(const SpeechDetectorConfig& config) {
    if (config.sample_rate_hz < 8000 || config.sample_rate_hz > 48000 ||
        config.sample_rate_hz % 100 != 0) {
        return fail(DspError::kInvalidRate);
    }
    if (config.prefix_padding_ms < 0 || config.prefix_padding_ms > 2000 ||
        config.silence_duration_ms < 100 || config.silence_duration_ms > 10000) {
        return fail(DspError::kInvalidArgument);
    }
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->frame_samples = samples_per_frame(config.sample_rate_hz);
    impl->start = start_rule(config.start_sensitivity);
    const double silence_ms = config.silence_duration_ms * end_factor(config.end_sensitivity);
    impl->end_silence_frames =
        std::max<std::size_t>(1, static_cast<std::size_t>(silence_ms / kFrameMs + 0.5));
    impl->prefix_samples = ms_to_samples(config.prefix_padding_ms, config.sample_rate_hz);
    impl->audio.assign(impl->prefix_samples + (impl->start.window_frames + 1) * impl->frame_samples,
                       0);
    impl->clear();
    return SpeechDetector(std::move(impl));
}

SpeechEvent SpeechDetector::process(std::span<const std::int16_t> frame, bool is_speech,
                                    bool may_start) {
    Impl& s = *impl_;
    PARLEY_DCHECK(frame.size() == s.frame_samples);

    // Keep the audio.
    for (std::int16_t sample : frame) {
        s.audio[static_cast<std::size_t>(s.position % s.audio.size())] = sample;
        ++s.position;
    }
    // Slide the START window.
    if (s.window[s.window_next])
        --s.window_speech;
    s.window[s.window_next] = is_speech;
    if (is_speech)
        ++s.window_speech;
    s.window_next = (s.window_next + 1) % s.start.window_frames;
    ++s.frames;

    SpeechEvent event;
    event.decided_at_sample = s.position;
    if (!s.in_speech) {
        if (may_start && s.window_speech >= s.start.min_speech_frames) {
            s.in_speech = true;
            s.onset_sample = s.first_speech_in_window();
            s.audio_begin_sample =
                s.onset_sample > s.prefix_samples ? s.onset_sample - s.prefix_samples : 0;
            s.last_speech_end_sample = s.position;
            s.silence_frames = 0;
            event.type = SpeechEventType::kStart;
            event.onset_sample = s.onset_sample;
            event.audio_begin_sample = s.audio_begin_sample;
        }
        return event;
    }
    if (is_speech) {
        s.silence_frames = 0;
        s.last_speech_end_sample = s.position;
        return event;
    }
    if (++s.silence_frames < s.end_silence_frames)
        return event;
    s.in_speech = false;
    // A new START needs fresh evidence, not the frames of the segment that just ended.
    s.window.fill(false);
    s.window_speech = 0;
    event.type = SpeechEventType::kEnd;
    event.onset_sample = s.onset_sample;
    event.audio_begin_sample = s.audio_begin_sample;
    event.end_sample = s.last_speech_end_sample;
    return event;
}

void SpeechDetector::copy_audio(std::uint64_t begin_sample, std::vector<std::int16_t>& out) const {
    const Impl& s = *impl_;
    const std::uint64_t oldest = s.position > s.audio.size() ? s.position - s.audio.size() : 0;
    for (std::uint64_t p = std::max(begin_sample, oldest); p < s.position; ++p) {
        out.push_back(s.audio[static_cast<std::size_t>(p % s.audio.size())]);
    }
}

bool SpeechDetector::in_speech() const {
    return impl_->in_speech;
}
std::size_t SpeechDetector::silence_frames() const {
    return impl_->in_speech ? impl_->silence_frames : 0;
}
std::size_t SpeechDetector::end_silence_frames() const {
    return impl_->end_silence_frames;
}
std::uint64_t SpeechDetector::position_samples() const {
    return impl_->position;
}
const SpeechDetectorConfig& SpeechDetector::config() const {
    return impl_->config;
}
void SpeechDetector::reset() {
    impl_->clear();
}

}  // namespace parley::dsp
