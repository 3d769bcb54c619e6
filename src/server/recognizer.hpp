// SPDX-License-Identifier: Apache-2.0
// RecognizerPool and Utterance: streaming speech recognition with pocketsphinx for the local
// server. A pool of up to N decoders (~90 MB and ~0.3-0.7 s to load each) is shared by all
// sessions; an Utterance takes a decoder while the user speaks and is fed 16 kHz PCM on a work
// thread, so little work is left when the turn ends. When every decoder is busy, audio is queued
// and the utterance catches up once one is free; given a loader, the pool then grows in the
// background, one decoder ahead of demand. Work context only; never call from io or rt.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace parley::server {

struct RecognizerConfig {
    // Holds en-us/ (acoustic model), en-us.lm.bin and cmudict-en-us.dict (pocketsphinx-en-us).
    std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
    // Most decoders in the pool (>= 1), and how many warm_up() loads; the rest are loaded
    // when every loaded one is busy.
    std::size_t decoders = 8;
    std::size_t preload_decoders = 2;
    // Search settings. The defaults cut CPU per second of speech by ~25% against pocketsphinx's
    // own defaults with the same words recognised on flite speech (see BENCHMARKS notes in
    // recognizer.cpp). second_pass=false also removes ~50 ms from finish() but loses words.
    int max_hmm_per_frame = 3000;  // -maxhmmpf; <= 0 keeps pocketsphinx's default (30000)
    int phone_loop_window = 5;     // -pl_window (frames of phone-loop lookahead)
    bool second_pass = true;       // -fwdflat (flat-lexicon rescoring)
    bool best_path = true;         // -bestpath (lattice best path)
    // 16 kHz speech decoded once per process (about a second); every utterance then starts
    // from the cepstral mean it left, so a transcript never depends on what its decoder heard
    // before (pocketsphinx's live mean otherwise carries over from one utterance, and session,
    // to the next). Empty: the mean carries over.
    std::vector<int16_t> calibration{};
    // Audio beyond this in one utterance is refused with EngineError::kUtteranceTooLong.
    std::chrono::milliseconds max_utterance{std::chrono::minutes(2)};
};

namespace detail {
struct RecognizerPoolState;
struct UtteranceState;
}  // namespace detail

// One user turn being recognised. Move-only; destroying it cancels it. Its calls may come from
// different work threads but not at the same time, except cancel(), which may be called at any
// time from any thread (it interrupts a feed() that is catching up on queued audio).
class Utterance {
public:
    // Called exactly once with the text (lower-case words separated by single spaces, possibly
    // empty) or an error (kCancelled after cancel()). Runs on the thread that completes the
    // decode: the caller of finish_async() or of another utterance's finish/cancel that freed
    // a decoder. It must not block and must not call back into this Utterance.
    using FinishHandler = std::function<void(Result<std::string>)>;

    Utterance(Utterance&&) noexcept;
    Utterance& operator=(Utterance&&) noexcept;
    Utterance(const Utterance&) = delete;
    Utterance& operator=(const Utterance&) = delete;
    ~Utterance();

    // Adds mono PCM16 at 16 kHz. Decodes at once when the utterance holds a decoder (taking a
    // free one, or loading one if the pool is not full yet); otherwise queues the audio.
    // Never waits for another utterance. Errors: kUtteranceClosed, kUtteranceTooLong,
    // kDecoderInitFailed, kRecognitionFailed (the utterance is then closed).
    [[nodiscard]] Status feed(std::span<const int16_t> pcm_16k);

    // Ends the utterance and decodes what is left. If no decoder is free it returns at once and
    // `done` runs later, when one is (the oldest waiting utterance is served first).
    void finish_async(FinishHandler done);

    // finish_async() and wait for the result. Blocks the calling thread while every decoder is
    // held by other utterances: do not use it where all workers could be blocked at once.
    [[nodiscard]] Result<std::string> finish();

    // Drops the utterance and frees its decoder; a pending finish handler gets kCancelled.
    // Idempotent.
    void cancel();

    // True while a decoder is assigned (audio is being decoded as it arrives).
    [[nodiscard]] bool has_decoder() const;
    // Samples waiting for a decoder.
    [[nodiscard]] std::size_t queued_samples() const;

private:
    friend class RecognizerPool;
    explicit Utterance(std::shared_ptr<detail::UtteranceState> state);
    std::shared_ptr<detail::UtteranceState> state_;
};

// Thread-safe; copies share the same decoders. Utterances keep the pool's state alive.
class RecognizerPool {
public:
    // Runs a decoder load somewhere other than the caller (a work thread).
    using Loader = std::function<void(std::function<void()>)>;

    // Checks that the model files exist (kSpeechModelMissing: "install pocketsphinx-en-us")
    // and silences pocketsphinx's own logging. Loads no decoder yet. With a `loader`, a decoder
    // the pool needs beyond those loaded is loaded through it while the utterance queues its
    // audio; without one, on the thread that needs it.
    [[nodiscard]] static Result<RecognizerPool> create(RecognizerConfig config, Loader loader = {});

    // Loads `preload_decoders` now, so the first turns do not pay the load time. Work context.
    [[nodiscard]] Status warm_up();

    // Starts an utterance. Never blocks; no decoder is taken until the first feed().
    [[nodiscard]] Utterance begin();

    [[nodiscard]] std::size_t decoders_loaded() const;
    [[nodiscard]] std::size_t decoders_busy() const;
    [[nodiscard]] const RecognizerConfig& config() const;

private:
    explicit RecognizerPool(std::shared_ptr<detail::RecognizerPoolState> state);
    std::shared_ptr<detail::RecognizerPoolState> state_;
};

}  // namespace parley::server
