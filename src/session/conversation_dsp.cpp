// SPDX-License-Identifier: Apache-2.0
// ConversationDsp: the Conversation's 10 ms dsp loop (see conversation_dsp.hpp).
#include "session/conversation_dsp.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>

#include "base/log.hpp"
#include "base/thread_name.hpp"
#include "dsp/frame.hpp"
#include "dsp/level.hpp"

namespace parley::session {
namespace {

constexpr std::size_t kFrame = dsp::kInputFrameSamples;  // 160
// Audio goes to the session at least 20 ms at a time (the API recommends 20-100 ms), a device
// block's worth when its blocks are longer: one message and one wakeup of the io thread each.
// A device with blocks longer than 100 ms still gets a message every 100 ms.
constexpr std::size_t kSendSamples = 2 * kFrame;
constexpr std::size_t kMaxSendSamples = 10 * kFrame;
// How long the send path stays open after a frame the gate judged to be the user's voice.
constexpr int kNearHoldFrames = 30;
// Far-end frames at the start of a model turn during which local barge-in is not allowed.
constexpr int kTurnStartHoldFrames = 100;
// While the far end plays, a START also needs evidence that the user talks, among the last 30
// frames: frames the gate judged to be the user (converged and near-end dominant) that the VAD
// found voiced. A residual-echo burst (the canceller misses a sound for a few frames: 2-8 seen
// over the story, some voiced) opens the gate's 100 ms barge-in hangover, and the VAD, hearing
// echo, then fills the detector's window. A frame the canceller took almost nothing from
// (kClearReductionDb) and that stands far above the echo's residual (kClearExcessDb: the bursts
// stood 15-23 dB above it, a user as loud as the echo some 30 dB) counts twice. So a user louder
// than the echo starts after 5 such frames, as before, and one quieter after 10.
constexpr int kStartEvidence = 10;
constexpr double kClearReductionDb = 3.0;
constexpr double kClearExcessDb = 25.0;
constexpr std::uint32_t kNearHistoryMask = (1u << 30) - 1;
// The device's fade when it drops the render ring (RtBridgeOptions::flush_fade_ms default).
constexpr int kDeviceFlushFadeMs = 5;

// How long after its due time the dsp thread looks for a device callback's audio, and the shortest
// sleep when the callback is late.
constexpr std::chrono::microseconds kCallbackMargin{1000};
constexpr std::chrono::microseconds kMinWait{1000};

// How late a device callback may come, for the reference's backlog over the capture.
constexpr double kCallbackJitterMs = 4.0;

// Audio the far end's echo may be in waits this long for the evidence that it is the user.
constexpr std::size_t kHeldFrames = 30;

// What the server gets of audio judged not to be the user while the model plays (-30 dB).
void fade(std::span<std::int16_t> pcm) {
    for (auto& sample : pcm) sample = static_cast<std::int16_t>(sample / 32);
}

void drop_front(std::vector<std::int16_t>& v, std::size_t n) {
    v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace

ConversationDsp::ConversationDsp(device::Device& device, dsp::Player& player, DspObserver& observer,
                                 SendAudio send, ConversationDspConfig config)
    : device_(device),
      player_(player),
      observer_(observer),
      send_(std::move(send)),
      config_(std::move(config)) {}

Result<std::unique_ptr<ConversationDsp>> ConversationDsp::create(
    device::Device& device, dsp::Player& player, DspObserver& observer, SendAudio send,
    const ConversationDspConfig& config) {
    std::unique_ptr<ConversationDsp> self(
        new ConversationDsp(device, player, observer, std::move(send), config));
    auto capture = dsp::Resampler::create(device.input_rate_hz(), dsp::kInputRateHz);
    if (!capture)
        return tl::unexpected(capture.error());
    auto reference =
        dsp::ReferenceReader::create(device.output_rate_hz(), device.has_separate_clocks());
    if (!reference)
        return tl::unexpected(reference.error());
    auto play = dsp::Resampler::create(dsp::kOutputRateHz, device.output_rate_hz());
    if (!play)
        return tl::unexpected(play.error());
    self->capture_rs_.emplace(std::move(*capture));
    self->reference_.emplace(std::move(*reference));
    self->play_rs_.emplace(std::move(*play));

    int delay_ms = config.echo_delay_ms;
    if (delay_ms < 0) {
        const auto latency = device.latency();
        delay_ms = static_cast<int>((latency.input + latency.output).count() / 1000);
    }
    dsp::EchoCancellerConfig aec_config;
    aec_config.mode = config.echo_mode;
    aec_config.stream_delay_ms = std::clamp(delay_ms, 0, aec_config.max_delay_ms);
    self->echo_delay_ms_ = aec_config.stream_delay_ms;
    auto aec = dsp::EchoCanceller::create(aec_config);
    if (!aec)
        return tl::unexpected(aec.error());
    self->aec_.emplace(std::move(*aec));
    auto vad = dsp::Vad::create();
    if (!vad)
        return tl::unexpected(vad.error());
    self->vad_.emplace(std::move(*vad));
    // A local barge-in only pauses playback until the server confirms it, and the echo gate
    // vets every START over the model's voice, so the start can be the quicker one (6 speech
    // frames in 300 ms instead of 10).
    auto detector = dsp::SpeechDetector::create({.start_sensitivity = dsp::Sensitivity::kHigh});
    if (!detector)
        return tl::unexpected(detector.error());
    self->detector_.emplace(std::move(*detector));
    if (!config.record_path.empty()) {
        auto writer = dsp::WavWriter::create(config.record_path, dsp::kInputRateHz, 2);
        if (!writer)
            return tl::unexpected(writer.error());
        self->recorder_.emplace(std::move(*writer));
    }
    self->cancelled_.resize(kFrame);
    self->send_frame_.resize(kFrame);
    self->send_buffer_.reserve(kMaxSendSamples + (kHeldFrames + 1) * kFrame);
    self->held_.reserve((kHeldFrames + 1) * kFrame);
    self->stereo_.resize(2 * kFrame);
    self->in_block_.resize(dsp::samples_per_frame(device.input_rate_hz()));
    self->play24_.resize(dsp::kOutputFrameSamples);
    return self;
}

ConversationDsp::~ConversationDsp() {
    stop();
}

void ConversationDsp::start(transport::EventLoop* io) {
    if (io != nullptr && device_.next_callback_due()) {
        paced_on_ = io;
        io->set_paced_task([this] { return run_due(); });
        return;
    }
    stop_.store(false);
    thread_ = std::thread([this] {
        name_this_thread("parley-dsp");
        run();
    });
}

void ConversationDsp::stop() {
    if (paced_on_ != nullptr)
        std::exchange(paced_on_, nullptr)->clear_paced_task();
    stop_.store(true);
    if (thread_.joinable())
        thread_.join();
    if (aligned_backlog_ms_)
        log::info("the reference followed the capture clock at {:+.0f} ppm",
                  reference_->correction_ppm());
    aligned_backlog_ms_.reset();
    release_held(/*user=*/false);  // still waiting for evidence that it was the user
    flush_send();
    if (recorder_)
        (void)recorder_->close();
}

double ConversationDsp::render_depth_ms() const {
    auto& ring = const_cast<device::Device&>(device_).render_ring();
    const auto depth = ring.write_counter() - ring.read_counter();
    return dsp::samples_to_ms(static_cast<double>(depth), device_.output_rate_hz());
}

void ConversationDsp::run() {
    while (!stop_.load()) {
        const auto pass = process_available();
        if (pass != Pass::kProcessed && !device_.run_next_callback())
            wait_for_next_callback(pass == Pass::kWaitReference);
    }
}

Clock::TimePoint ConversationDsp::run_due() {
    for (;;) {
        if (process_available() == Pass::kProcessed)
            continue;
        const auto due = device_.next_callback_due();
        const auto now = Clock::steady().now();
        if (!due)
            return now + std::chrono::milliseconds(10);  // stopped: look again a frame later
        if (*due > now)
            return *due;
        (void)device_.run_next_callback();  // due: runs at once
    }
}

ConversationDsp::Pass ConversationDsp::process_available() {
    auto& capture = device_.capture_ring();
    auto& reference = device_.reference_ring();
    if (flush_requested_.exchange(false)) {
        device_.flush_render();
        play_out_.clear();
    }
    rewind_dropped_render();
    fill_render();
    (void)capture.flush_if_requested();
    // A duplex device writes a callback's capture, then its reference: a block read in between
    // would get a silent reference, and every later reference would lag its capture by that
    // block (the canceller then loses the echo path and re-adapts, and after a few such slips
    // the echo comes before its reference). So a capture block waits for its reference; only a
    // reference that stays away (separate streams, none at all) is replaced by silence, once
    // two capture blocks wait.
    const std::size_t captured = capture.available_to_read();
    const bool reference_ready = reference.available_to_read() >= reference_->next_block_samples();
    if (captured < in_block_.size())
        return Pass::kWaitCapture;
    if (!reference_ready && reference_seen_ && captured < 2 * in_block_.size())
        return Pass::kWaitReference;
    (void)capture.read(in_block_);
    // With headphones the reference is only recorded.
    const bool reference_used = !echo_free() || recorder_.has_value();
    const std::size_t got = reference_->read(reference, reference_used ? &ref16_ : nullptr);
    reference_seen_ = reference_seen_ || got > 0;
    if (reference_seen_ && reference_->follows_capture_clock()) {
        reference_->steer(reference_backlog_ms(), min_reference_backlog_ms());
        reference_correction_ppm_.store(reference_->correction_ppm());
        align_canceller_with_backlog();
    }
    capture_rs_->process(in_block_, mic16_);
    while (mic16_.size() >= kFrame && (!reference_used || ref16_.size() >= kFrame)) {
        const auto ref = reference_used ? std::span<const std::int16_t>(ref16_).first(kFrame)
                                        : std::span<const std::int16_t>{};
        process_frame(std::span(mic16_).first(kFrame), ref);
        drop_front(mic16_, kFrame);
        if (reference_used)
            drop_front(ref16_, kFrame);
    }
    // One message per device block (and at least 20 ms): each message wakes the io thread.
    if (send_buffer_.size() >= send_samples())
        flush_send();
    return Pass::kProcessed;
}

void ConversationDsp::align_canceller_with_backlog() {
    // The echo delay counts from a reference read in lockstep with the capture: a reference held
    // back by a backlog comes that much closer to its echo.
    const auto target = reference_->target_backlog_ms();
    if (!target || target == aligned_backlog_ms_)
        return;
    aligned_backlog_ms_ = target;
    const int delay_ms = std::max(0, echo_delay_ms_ - static_cast<int>(std::lround(*target)));
    aec_->set_stream_delay_ms(delay_ms);
    log::info(
        "playback has a clock of its own: the reference follows the capture's ({:+.0f} ppm "
        "so far), {:.1f} ms behind it; echo delay {} ms",
        reference_->correction_ppm(), *target, delay_ms);
}

double ConversationDsp::reference_backlog_ms() const {
    auto& device = const_cast<device::Device&>(device_);
    const auto ns = [](Clock::TimePoint t) {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    };
    // The rings and the callback times must come from the same callbacks: a callback that ran
    // between reading one and the other would count a block twice or not at all. Each callback
    // writes its ring, then its time, so unchanged times around the rings vouch for them.
    std::int64_t render_ns = ns(device.last_render_time());
    std::int64_t capture_ns = ns(device.last_capture_time());
    for (int attempt = 0;; ++attempt) {
        const auto reference_unread = device.reference_ring().available_to_read();
        const auto capture_unread = device.capture_ring().available_to_read();
        const auto render_after = ns(device.last_render_time());
        const auto capture_after = ns(device.last_capture_time());
        if ((render_after == render_ns && capture_after == capture_ns) || attempt == 3)
            return dsp::ReferenceReader::backlog_ms(reference_unread, device.output_rate_hz(),
                                                    render_after, capture_unread,
                                                    device.input_rate_hz(), capture_after);
        render_ns = render_after;
        capture_ns = capture_after;
    }
}

double ConversationDsp::min_reference_backlog_ms() const {
    const auto stats = device_.stats();
    return dsp::samples_to_ms(stats.mean_render_block(), device_.output_rate_hz()) +
           dsp::samples_to_ms(stats.mean_capture_block(), device_.input_rate_hz()) +
           kCallbackJitterMs;
}

double ConversationDsp::device_block_samples() const {
    const double mean = device_.stats().mean_capture_block();
    return mean > 0 ? mean : static_cast<double>(in_block_.size());
}

std::size_t ConversationDsp::send_samples() const {
    const double block_frames = device_block_samples() / static_cast<double>(in_block_.size());
    return std::clamp(static_cast<std::size_t>(block_frames) * kFrame, kSendSamples,
                      kMaxSendSamples);
}

void ConversationDsp::wait_for_next_callback(bool for_reference) const {
    // Sleeps until just after the next callback of the stream it waits for is due (its last one
    // plus the mean block length), so the thread wakes about once per device block rather than
    // polling. (With separate streams, timing it from the other stream's callback would find it
    // already due and spin.) A late callback (or a device on a manual clock) costs a short sleep
    // and another look.
    using namespace std::chrono;
    const auto stats = device_.stats();
    const double block_s = for_reference && stats.render_callbacks > 0
                               ? stats.mean_render_block() / device_.output_rate_hz()
                               : device_block_samples() / device_.input_rate_hz();
    const auto period = duration_cast<nanoseconds>(duration<double>(block_s));
    const auto last = for_reference ? device_.last_render_time() : device_.last_capture_time();
    const auto due = last + period + kCallbackMargin;
    const auto wait = std::clamp(due - Clock::steady().now(), nanoseconds(kMinWait),
                                 std::max(period, nanoseconds(kMinWait)));
    std::this_thread::sleep_for(wait);
}

void ConversationDsp::fill_render() {
    auto& ring = device_.render_ring();
    const auto rate = device_.output_rate_hz();
    // The ring must outlast one device callback with a frame to spare, or every callback
    // underruns and the model's voice plays slower, with gaps.
    const auto block = device_block_samples() * rate / device_.input_rate_hz();
    const auto target = std::max(dsp::ms_to_samples(config_.render_depth_ms, rate),
                                 static_cast<std::size_t>(block) + dsp::samples_per_frame(rate));
    while (ring.write_counter() - ring.read_counter() < target) {
        if (play_out_.empty()) {
            const auto turn = player_.current_turn();
            const std::size_t real = player_.pull(play24_);
            // After drop_render_for_pause() the ring still counts what the device is about to
            // drop: the sound ends with the device's fade.
            const double heard_ms =
                dropped_silent_ms_ ? *dropped_silent_ms_ : now_ms() + render_depth_ms();
            if (real > 0 && turn && audible_turn_ != turn) {
                audible_turn_ = turn;
                observer_.on_turn_audible(*turn, heard_ms);
            }
            if (real > 0) {
                sounding_ = true;
            } else if (sounding_) {
                sounding_ = false;
                observer_.on_output_silent(heard_ms);
            }
            dropped_silent_ms_.reset();
            play_rs_->process(play24_, play_out_);
            if (play_out_.empty())
                continue;  // resampler warm-up
        }
        const std::size_t n = std::min(play_out_.size(), ring.available_to_write());
        if (n == 0)
            break;
        (void)ring.write(std::span(play_out_).first(n));
        drop_front(play_out_, n);
    }
}

void ConversationDsp::drop_render_for_pause(double now) {
    // The render ring (and the resampler) hold audio the listener has not heard yet. Dropping it
    // (the device fades it out over kDeviceFlushFadeMs at its next callback) silences the output
    // a render depth sooner; the Player takes back what was dropped, so a resume() after an
    // unconfirmed barge-in loses nothing.
    // What the ring drops is known once the device carried the flush out (its callback may be
    // reading the ring right now): rewind_dropped_render() takes that back then. What never
    // reached the ring (the block waiting for it, the resampler's delay) is taken back now.
    const double held = static_cast<double>(play_out_.size()) + play_rs_->delay_samples();
    flushed_before_ = device_.stats().flushed_samples;
    device_.flush_render();
    play_out_.clear();
    scratch_.clear();
    play_rs_->flush(scratch_);
    (void)player_.stop_and_rewind(to_player_samples(held));
    dropped_silent_ms_ = now + kDeviceFlushFadeMs;
}

void ConversationDsp::rewind_dropped_render() {
    if (!flushed_before_ || device_.render_ring().flush_pending())
        return;
    const auto dropped = device_.stats().flushed_samples - *flushed_before_;
    flushed_before_.reset();
    (void)player_.stop_and_rewind(to_player_samples(static_cast<double>(dropped)));
}

std::size_t ConversationDsp::to_player_samples(double device_samples) const {
    return static_cast<std::size_t>(device_samples * dsp::kOutputRateHz / device_.output_rate_hz() +
                                    0.5);
}

void ConversationDsp::send_audio(std::span<const std::int16_t> pcm) {
    send_buffer_.insert(send_buffer_.end(), pcm.begin(), pcm.end());
}

void ConversationDsp::flush_send() {
    if (send_buffer_.empty())
        return;
    send_(send_buffer_);
    send_buffer_.clear();
}

void ConversationDsp::release_held(bool user) {
    if (!user)
        fade(held_);
    send_audio(held_);
    held_.clear();
}

void ConversationDsp::process_frame(std::span<const std::int16_t> mic,
                                    std::span<const std::int16_t> ref) {
    mic_level_dbfs_.store(std::max(dsp::energy_dbfs(mic), -120.0));
    const auto event = echo_free() ? detect_and_send(mic) : cancel_vet_and_send(mic, ref);
    if (recorder_) {
        for (std::size_t i = 0; i < kFrame; ++i) {
            stereo_[2 * i] = mic[i];
            stereo_[2 * i + 1] = ref[i];
        }
        if (auto written = recorder_->write(stereo_); !written) {
            log::warn("recording stopped: {}", written.error().message());
            recorder_.reset();
        }
    }
    const auto now = static_cast<double>(frames_.fetch_add(1) + 1) * 10.0;
    const auto to_ms = [](std::uint64_t sample) {
        return dsp::samples_to_ms(static_cast<double>(sample), dsp::kInputRateHz);
    };
    if (event.type == dsp::SpeechEventType::kStart) {
        const bool was_paused = player_.paused();
        observer_.on_speech_start(to_ms(event.onset_sample), now);
        if (config_.drop_render_on_barge_in && sounding_ && !was_paused && player_.paused())
            drop_render_for_pause(now);
    } else if (event.type == dsp::SpeechEventType::kEnd) {
        observer_.on_speech_end(to_ms(event.end_sample), now);
    }
    observer_.on_tick(now);
}

dsp::SpeechEvent ConversationDsp::detect_and_send(std::span<const std::int16_t> mic) {
    const bool voiced = vad_->process(mic);
    const auto event = detector_->process(mic, voiced, /*may_start=*/true);
    send_audio(mic);
    return event;
}

dsp::SpeechEvent ConversationDsp::cancel_vet_and_send(std::span<const std::int16_t> mic,
                                                      std::span<const std::int16_t> ref) {
    aec_->analyze_render(ref);
    aec_->process_capture(mic, cancelled_);
    const auto& gate = gate_.process(ref, mic, cancelled_);
    // The VAD hears the canceller's linear output: its residual suppressor can cut a short word
    // said under a loud syllable of the model by more than 10 dB ("Stop." kept 2 voiced frames and
    // START waited for the next word). The gate, which judges the suppressed output, still vets
    // every frame.
    const auto linear = aec_->linear_output();
    const bool voiced =
        vad_->process(linear.empty() ? std::span<const std::int16_t>(cancelled_) : linear);
    // The canceller re-adapts at the start of each model turn (after a pause its residual
    // echo is louder for a moment): the first kTurnStartHoldFrames of far-end playback never
    // count as the user, however the gate judges them.
    far_run_frames_ = gate.far_active ? far_run_frames_ + 1 : 0;
    const bool settled = !gate.far_active || far_run_frames_ > kTurnStartHoldFrames;
    const bool near_now = gate.converged && gate.near_dominant;
    const bool user_voice = near_now && voiced;
    const bool clear_voice =
        user_voice && gate.reduction_db < kClearReductionDb && gate.excess_db > kClearExcessDb;
    voice_history_ = ((voice_history_ << 1) | (user_voice ? 1u : 0u)) & kNearHistoryMask;
    clear_history_ = ((clear_history_ << 1) | (clear_voice ? 1u : 0u)) & kNearHistoryMask;
    const bool user_evident =
        std::popcount(voice_history_) + std::popcount(clear_history_) >= kStartEvidence;
    const bool may_start = !gate.far_active || user_evident;
    const auto event =
        detector_->process(cancelled_, voiced && gate.barge_in_allowed && settled, may_start);
    std::copy(cancelled_.begin(), cancelled_.end(), send_frame_.begin());
    gate_.duck(send_frame_);
    // The gate keeps the send path open for a while after the far end was silent, so the first
    // echo of a new model turn (before the canceller converged) would reach the server's VAD and
    // interrupt the model. While the far end plays, the send path opens only on the evidence a
    // local START needs (kStartEvidence): a residual-echo burst at a loud onset gives less.
    // Until then the audio waits (up to kHeldFrames); when the path opens it goes out at once at
    // full level, so the server's VAD hears the user's onset, and what leaves the wait unopened
    // is sent faded (it was not the user).
    if (user_evident || (near_now && near_frames_left_ > 0)) {
        near_frames_left_ = kNearHoldFrames;
    } else if (near_frames_left_ > 0) {
        --near_frames_left_;
    }
    if (!gate.far_active || near_frames_left_ > 0) {
        release_held(/*user=*/near_frames_left_ > 0);
        send_audio(send_frame_);
    } else {
        held_.insert(held_.end(), send_frame_.begin(), send_frame_.end());
        if (held_.size() > kHeldFrames * kFrame) {
            const auto oldest = std::span(held_).first(kFrame);
            fade(oldest);
            send_audio(oldest);
            drop_front(held_, kFrame);
        }
    }
    return event;
}

}  // namespace parley::session
