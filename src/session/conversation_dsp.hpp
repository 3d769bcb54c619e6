// SPDX-License-Identifier: Apache-2.0
// ConversationDsp: the Conversation's dsp thread. It wakes once per device callback; for every
// 10 ms of capture it resamples the device's microphone and echo reference to 16 kHz, cancels the
// echo, runs the echo gate (with headphones: neither), the local VAD and SpeechDetector, sends the
// ducked audio to the session (a device block, 20 ms at least, at a time), and keeps the shallow
// render ring topped up from the Player (24 kHz -> device rate). It reports what it sees to a
// DspObserver on the dsp thread. A device with no clock of its own (a file streamed in real
// time) leaves its callbacks to its reader: then there is no dsp thread, and io runs the
// callbacks and this loop as its paced task (EventLoop::set_paced_task), so one thread wakes
// once per device block for both. Owned by Conversation; start()/stop() from the control thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "device/device.hpp"
#include "dsp/echo_canceller.hpp"
#include "dsp/echo_gate.hpp"
#include "dsp/player.hpp"
#include "dsp/reference_reader.hpp"
#include "dsp/resampler.hpp"
#include "dsp/speech_detector.hpp"
#include "dsp/vad.hpp"
#include "dsp/wav_file.hpp"
#include "transport/event_loop.hpp"

namespace parley::session {

// Called on the dsp thread; times are ms on the capture timeline (10 ms per processed frame).
class DspObserver {
public:
    virtual ~DspObserver() = default;
    virtual void on_speech_start(double onset_ms, double now_ms) = 0;
    virtual void on_speech_end(double end_ms, double now_ms) = 0;
    // The first samples of `turn` left the Player; heard at `heard_ms` (render depth added).
    virtual void on_turn_audible(dsp::TurnId turn, double heard_ms) = 0;
    // Output went from sound to silence (pause, flush or end of the queue), heard at `heard_ms`.
    virtual void on_output_silent(double heard_ms) = 0;
    virtual void on_tick(double now_ms) = 0;
};

struct ConversationDspConfig {
    dsp::EchoMode echo_mode = dsp::kDefaultEchoMode;
    int echo_delay_ms = -1;    // -1: the device's input + output latency
    int render_depth_ms = 30;  // audio kept queued in the render ring (at least a device block
                               // and a frame)
    // On a local barge-in (the Player paused by on_speech_start), drop the render ring (the
    // device fades it out) and give the Player back what was not heard: the output falls
    // silent ~25 ms sooner. false: the ring plays out (bench/conversation_barge_in's "before").
    bool drop_render_on_barge_in = true;
    std::string record_path{};  // stereo 16 kHz WAV: microphone left, played audio right
};

class ConversationDsp {
public:
    using SendAudio = std::function<void(std::span<const std::int16_t> pcm_16k)>;

    // Builds the dsp stages for an opened device. Errors: dsp creation errors, file errors.
    [[nodiscard]] static Result<std::unique_ptr<ConversationDsp>> create(
        device::Device& device, dsp::Player& player, DspObserver& observer, SendAudio send,
        const ConversationDspConfig& config);
    ~ConversationDsp();
    ConversationDsp(const ConversationDsp&) = delete;
    ConversationDsp& operator=(const ConversationDsp&) = delete;

    // On a thread of its own, or, given `io`, as its paced task when the device leaves it the
    // callbacks (see above).
    void start(transport::EventLoop* io = nullptr);
    void stop();  // joins the thread or clears the task; idempotent
    // Asks the dsp thread to drop the render ring (server-confirmed barge-in). Any thread.
    void request_render_flush() { flush_requested_.store(true); }
    [[nodiscard]] double now_ms() const { return static_cast<double>(frames_.load()) * 10.0; }
    [[nodiscard]] double render_depth_ms() const;
    // The microphone's level over the last 10 ms frame, in dBFS (before echo cancellation;
    // -120 for digital silence). Any thread.
    [[nodiscard]] double mic_level_dbfs() const { return mic_level_dbfs_.load(); }
    // How much faster than nominal the reference is read to follow the capture clock, in ppm
    // (0 when the device has one clock). Any thread.
    [[nodiscard]] double reference_correction_ppm() const {
        return reference_correction_ppm_.load();
    }

private:
    ConversationDsp(device::Device& device, dsp::Player& player, DspObserver& observer,
                    SendAudio send, ConversationDspConfig config);
    enum class Pass { kProcessed, kWaitCapture, kWaitReference };
    // The dsp thread's loop.
    void run();
    // The paced task: runs the device callbacks that are due and processes their audio; returns
    // when the next callback is due.
    Clock::TimePoint run_due();
    // Keeps the render ring topped up and processes one capture block, if it is there.
    Pass process_available();
    // The device's mean capture block so far, in input samples (one frame until it has captured).
    [[nodiscard]] double device_block_samples() const;
    // The reference ring's backlog over the capture ring (dsp::ReferenceReader::backlog_ms).
    [[nodiscard]] double reference_backlog_ms() const;
    // The least backlog that keeps every reference read whole (a callback of each stream).
    [[nodiscard]] double min_reference_backlog_ms() const;
    // Once the reader holds a backlog, tells the canceller the echo delay that leaves.
    void align_canceller_with_backlog();
    // Sleeps until the next callback that brings capture (or, `for_reference`, the reference).
    void wait_for_next_callback(bool for_reference) const;
    // How much audio run() hands the session at a time: a device block's worth in whole frames.
    [[nodiscard]] std::size_t send_samples() const;
    // Queues audio for the session; run() hands it over once per device block, 20 ms at least.
    void send_audio(std::span<const std::int16_t> pcm);
    void flush_send();
    // Queues the audio held while the far end played: at full level when it was the user,
    // faded when it was not.
    void release_held(bool user);
    void fill_render();
    // One 10 ms frame: microphone and, unless echo_free() without a recording, reference.
    void process_frame(std::span<const std::int16_t> mic, std::span<const std::int16_t> ref);
    // Headphones: the microphone hears only the user, so it goes to the VAD and the session as
    // it is. (The echo gate, with no canceller whose reduction it could measure, would never
    // trust it while the model plays.)
    [[nodiscard]] bool echo_free() const { return config_.echo_mode == dsp::EchoMode::kOff; }
    dsp::SpeechEvent detect_and_send(std::span<const std::int16_t> mic);
    // A loudspeaker: cancels the echo, lets the gate vet the rest, and sends it (held or faded
    // while it may be echo).
    dsp::SpeechEvent cancel_vet_and_send(std::span<const std::int16_t> mic,
                                         std::span<const std::int16_t> ref);
    // A local barge-in paused the Player: drops the render ring and gives the Player back what
    // the listener had not heard yet.
    void drop_render_for_pause(double now);
    // ... and, once the device dropped it, gives the Player back what the ring held.
    void rewind_dropped_render();
    // Output samples at the device rate as the Player's (24 kHz), rounded.
    [[nodiscard]] std::size_t to_player_samples(double device_samples) const;

    device::Device& device_;
    dsp::Player& player_;
    DspObserver& observer_;
    SendAudio send_;
    ConversationDspConfig config_;
    std::optional<dsp::Resampler> capture_rs_;
    std::optional<dsp::ReferenceReader> reference_;
    std::optional<dsp::Resampler> play_rs_;
    std::optional<dsp::EchoCanceller> aec_;
    dsp::EchoGate gate_;
    std::optional<dsp::Vad> vad_;
    std::optional<dsp::SpeechDetector> detector_;
    std::optional<dsp::WavWriter> recorder_;
    std::vector<std::int16_t> mic16_, ref16_, in_block_, play24_, play_out_;
    std::vector<std::int16_t> cancelled_, send_frame_, send_buffer_, held_, stereo_, scratch_;
    std::optional<dsp::TurnId> audible_turn_;
    bool sounding_ = false;
    bool reference_seen_ = false;  // the device delivers a reference (see run())
    // Bit i: the frame i frames ago was voiced and the gate judged it the user (voice_history_),
    // and it was clearly above the echo (clear_history_).
    std::uint32_t voice_history_ = 0;
    std::uint32_t clear_history_ = 0;
    std::optional<double> dropped_silent_ms_;      // when the dropped render ring falls silent
    std::optional<std::uint64_t> flushed_before_;  // device flushed samples before our drop
    int far_run_frames_ = 0;                       // consecutive frames with the far end active
    int near_frames_left_ = 0;  // send path held open after the user's voice (frames)
    std::atomic<bool> flush_requested_{false};
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> frames_{0};
    std::atomic<double> mic_level_dbfs_{-120.0};
    std::atomic<double> reference_correction_ppm_{0.0};
    int echo_delay_ms_ = 0;  // the canceller's, with the reference read in lockstep
    std::optional<double> aligned_backlog_ms_;
    std::thread thread_;
    transport::EventLoop* paced_on_ = nullptr;  // the loop running run_due(), if any
};

}  // namespace parley::session
