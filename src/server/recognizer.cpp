// SPDX-License-Identifier: Apache-2.0
// The only file that includes pocketsphinx (Debian's 0.8+5prealpha API: ps_init(cmd_ln_t*)).
//
// Measured on this 2-core box with 24 phrases of flite speech (slt, rms, awb; 46 s of audio),
// fed in 20 ms chunks (words found / real-time factor / time spent in ps_end_utt):
//   pocketsphinx defaults                          115/123  0.15  64 ms
//   -maxhmmpf 3000 -pl_window 5        (our default) 115/123  0.12  55 ms
//   ... plus -fwdflat no                            112/123  0.08   8 ms
//   ... plus -fwdflat no -bestpath no               106/123  0.08   8 ms
// Through this class (flite 24 kHz -> 16 kHz, 20 ms feeds) the default finds 116/123 words
// (slt 40/41, rms 41/41, awb 35/41). Timings triple when the machine is loaded; ratios hold.
// One decoder holds ~91 MB of RSS and loads in 0.3-0.7 s.
//
// Thread safety: decoders are independent objects; the only process-wide state we touch is
// sphinxbase's log sink, which is switched off once (err_set_logfp(NULL)) instead of passing
// -logfn, because ps_init() with -logfn closes and replaces the global log FILE that another
// decoder may be writing to. Loading is serialised anyway (load_mutex) as cheap insurance.
#include "server/recognizer.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <utility>
#include <vector>

#include <err.h>
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>

#include "base/log.hpp"
#include "server/engine_error.hpp"

namespace parley::server {
namespace detail {

struct Decoder {
    cmd_ln_t* config = nullptr;
    ps_decoder_t* ps = nullptr;
    std::vector<mfcc_t> start_mean;  // the cepstral mean every utterance starts from; empty: none

    Decoder() = default;
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;
    ~Decoder() {
        if (ps != nullptr)
            ps_free(ps);
        if (config != nullptr)
            cmd_ln_free_r(config);
    }
};

struct RecognizerPoolState : std::enable_shared_from_this<RecognizerPoolState> {
    RecognizerConfig config;
    RecognizerPool::Loader loader;
    mutable std::mutex mutex;
    std::vector<std::unique_ptr<Decoder>> idle;           // guarded by mutex
    std::size_t loaded = 0;                               // loaded or loading; by mutex
    std::size_t busy = 0;                                 // by mutex
    bool growing = false;                                 // a loader task runs; by mutex
    std::deque<std::shared_ptr<UtteranceState>> waiters;  // finish() pending; by mutex
};

enum class Phase { kOpen, kWaiting, kClosed };

struct UtteranceState : std::enable_shared_from_this<UtteranceState> {
    explicit UtteranceState(std::shared_ptr<RecognizerPoolState> p) : pool(std::move(p)) {}

    std::shared_ptr<RecognizerPoolState> pool;
    std::atomic<bool> cancel_requested{false};
    mutable std::mutex mutex;
    Phase phase = Phase::kOpen;        // guarded by mutex
    std::unique_ptr<Decoder> decoder;  // by mutex; utterance started when set
    std::vector<int16_t> queued;       // by mutex
    std::vector<int16_t> partial;      // by mutex; less than a kFeedSamples block, not yet fed
    std::size_t total_samples = 0;     // by mutex
    Utterance::FinishHandler done;     // by mutex; set while kWaiting
};

}  // namespace detail

namespace {

using detail::Decoder;
using detail::Phase;
using detail::RecognizerPoolState;
using detail::UtteranceState;

constexpr int kSampleRateHz = 16000;
// pocketsphinx gets the audio in blocks of this size, counted from the utterance's start, so
// what it decodes does not depend on how the audio arrived or when a decoder was free: it
// updates its running cepstral mean per call (once past a high-water mark). Between blocks,
// cancel() can stop a long catch-up.
constexpr std::size_t kFeedSamples = kSampleRateHz / 50;

std::mutex& load_mutex() {
    static std::mutex mutex;
    return mutex;
}

std::filesystem::path hmm_dir(const RecognizerConfig& c) {
    return std::filesystem::path(c.model_dir) / "en-us";
}
std::filesystem::path lm_file(const RecognizerConfig& c) {
    return std::filesystem::path(c.model_dir) / "en-us.lm.bin";
}
std::filesystem::path dict_file(const RecognizerConfig& c) {
    return std::filesystem::path(c.model_dir) / "cmudict-en-us.dict";
}

Result<std::unique_ptr<Decoder>> load_decoder(const RecognizerConfig& c) {
    const std::string hmm = hmm_dir(c).string();
    const std::string lm = lm_file(c).string();
    const std::string dict = dict_file(c).string();
    const std::string maxhmmpf =
        std::to_string(c.max_hmm_per_frame > 0 ? c.max_hmm_per_frame : 30000);
    const std::string pl_window = std::to_string(std::max(0, c.phone_loop_window));
    const char* fwdflat = c.second_pass ? "yes" : "no";
    const char* bestpath = c.best_path ? "yes" : "no";

    auto decoder = std::make_unique<Decoder>();
    {
        std::lock_guard lock(load_mutex());
        decoder->config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-lm",
                                      lm.c_str(), "-dict", dict.c_str(), "-maxhmmpf",
                                      maxhmmpf.c_str(), "-pl_window", pl_window.c_str(), "-fwdflat",
                                      fwdflat, "-bestpath", bestpath, static_cast<char*>(nullptr));
        if (decoder->config == nullptr)
            return fail(EngineError::kDecoderInitFailed);
        decoder->ps = ps_init(decoder->config);
        if (decoder->ps == nullptr)
            return fail(EngineError::kDecoderInitFailed);
    }
    if (!c.calibration.empty()) {
        // The same model and audio always leave the same mean: the first decoder that hears a
        // calibration finds it (about a second of decoding), every later one copies it.
        struct Calibrated {
            std::string model_dir;
            std::vector<int16_t> audio;
            std::vector<mfcc_t> mean;
        };
        static std::mutex calibrated_mutex;
        static std::vector<Calibrated> calibrated;
        std::lock_guard lock(calibrated_mutex);
        auto known = std::find_if(calibrated.begin(), calibrated.end(), [&](const auto& k) {
            return k.model_dir == c.model_dir && k.audio == c.calibration;
        });
        if (known == calibrated.end()) {
            if (ps_start_utt(decoder->ps) < 0 ||
                ps_process_raw(decoder->ps, c.calibration.data(), c.calibration.size(), FALSE,
                               FALSE) < 0 ||
                ps_end_utt(decoder->ps) < 0)
                return fail(EngineError::kDecoderInitFailed);
            feat_t* feat = ps_get_feat(decoder->ps);
            std::vector<mfcc_t> mean(static_cast<std::size_t>(feat_cepsize(feat)));
            cmn_live_get(feat->cmn_struct, mean.data());
            known = calibrated.insert(calibrated.end(), {c.model_dir, c.calibration, mean});
        }
        decoder->start_mean = known->mean;
    }
    return decoder;
}

void release(RecognizerPoolState& pool, std::unique_ptr<Decoder> decoder);

// With a loader, when no decoder is idle and the pool is not full, reserves a slot for one more
// (at most one load at a time) and returns true: the caller then calls grow().
bool reserve_growth_locked(RecognizerPoolState& pool) {
    if (!pool.loader || pool.growing || !pool.idle.empty() || pool.loaded >= pool.config.decoders) {
        return false;
    }
    pool.growing = true;
    ++pool.loaded;
    ++pool.busy;
    return true;
}

// Loads the reserved decoder through the loader and hands it to release(); goes on growing
// while every decoder is still busy.
void grow(RecognizerPoolState& pool) {
    pool.loader([state = pool.shared_from_this()] {
        auto decoder = load_decoder(state->config);
        {
            std::lock_guard lock(state->mutex);
            state->growing = false;
            if (!decoder) {
                --state->loaded;
                --state->busy;
                log::warn("recognition: could not load another decoder ({}); {} in use",
                          decoder.error().message(), state->loaded);
                return;
            }
        }
        release(*state, std::move(*decoder));
        bool more = false;
        {
            std::lock_guard lock(state->mutex);
            more = reserve_growth_locked(*state);
        }
        if (more)
            grow(*state);
    });
}

// Takes an idle decoder, or (without a loader) loads a new one while the pool is not full.
// When neither is possible: queues `waiter` (if given) to be served by release(), and returns
// nullptr.
Result<std::unique_ptr<Decoder>> acquire(RecognizerPoolState& pool,
                                         const std::shared_ptr<UtteranceState>& waiter) {
    std::unique_ptr<Decoder> decoder;
    bool grow_now = false;
    bool load_here = false;
    {
        std::lock_guard lock(pool.mutex);
        if (!pool.idle.empty()) {
            decoder = std::move(pool.idle.back());
            pool.idle.pop_back();
            ++pool.busy;
            grow_now = reserve_growth_locked(pool);  // keep one spare ahead of demand
        } else if (pool.loaded >= pool.config.decoders || pool.loader) {
            if (waiter)
                pool.waiters.push_back(waiter);
            grow_now = reserve_growth_locked(pool);
        } else {
            ++pool.loaded;  // reserve the slot, load outside the lock
            ++pool.busy;
            load_here = true;
        }
    }
    if (grow_now)
        grow(pool);
    if (!load_here)
        return decoder;
    auto loaded = load_decoder(pool.config);
    if (!loaded) {
        std::lock_guard lock(pool.mutex);
        --pool.loaded;
        --pool.busy;
    }
    return loaded;
}

// Text of a hypothesis as lower-case words; drops fillers such as <sil> or [noise] and the
// alternate-pronunciation suffix "(2)".
std::string normalize_hypothesis(const char* hyp) {
    std::string out;
    if (hyp == nullptr)
        return out;
    std::string_view rest(hyp);
    while (!rest.empty()) {
        const auto start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos)
            break;
        rest.remove_prefix(start);
        const auto end = std::min(rest.find(' '), rest.size());
        std::string_view word = rest.substr(0, end);
        rest.remove_prefix(end);
        if (word.empty() || word.front() == '<' || word.front() == '[')
            continue;
        if (const auto paren = word.find('('); paren != std::string_view::npos && paren > 0) {
            word = word.substr(0, paren);
        }
        if (!out.empty())
            out += ' ';
        for (const char ch : word) {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
    }
    return out;
}

// Methods below run with the utterance's mutex held.
Status start_locked(UtteranceState& u, std::unique_ptr<Decoder> decoder) {
    u.decoder = std::move(decoder);
    // A new stream: the front end's noise estimate (spectral subtraction and its silence
    // detector) starts afresh, as the cepstral mean below does, instead of carrying over what
    // this decoder heard before.
    if (ps_start_stream(u.decoder->ps) < 0)
        return fail(EngineError::kRecognitionFailed);
    if (!u.decoder->start_mean.empty())
        cmn_live_set(ps_get_feat(u.decoder->ps)->cmn_struct, u.decoder->start_mean.data());
    if (ps_start_utt(u.decoder->ps) < 0)
        return fail(EngineError::kRecognitionFailed);
    return {};
}

Status feed_locked(UtteranceState& u, std::span<const int16_t> block) {
    if (u.cancel_requested.load(std::memory_order_relaxed))
        return fail(EngineError::kCancelled);
    if (ps_process_raw(u.decoder->ps, block.data(), block.size(), FALSE, FALSE) < 0)
        return fail(EngineError::kRecognitionFailed);
    return {};
}

// Feeds whole kFeedSamples blocks; what is left waits in u.partial for more.
Status process_locked(UtteranceState& u, std::span<const int16_t> pcm) {
    if (!u.partial.empty()) {
        const auto take = std::min(pcm.size(), kFeedSamples - u.partial.size());
        u.partial.insert(u.partial.end(), pcm.begin(), pcm.begin() + static_cast<long>(take));
        pcm = pcm.subspan(take);
        if (u.partial.size() < kFeedSamples)
            return {};
        auto status = feed_locked(u, u.partial);
        u.partial.clear();
        if (!status)
            return status;
    }
    for (; pcm.size() >= kFeedSamples; pcm = pcm.subspan(kFeedSamples)) {
        if (auto status = feed_locked(u, pcm.first(kFeedSamples)); !status)
            return status;
    }
    u.partial.assign(pcm.begin(), pcm.end());
    return {};
}

Status drain_locked(UtteranceState& u) {
    if (u.queued.empty())
        return {};
    auto status = process_locked(u, u.queued);
    u.queued.clear();
    u.queued.shrink_to_fit();
    return status;
}

Result<std::string> end_locked(UtteranceState& u) {
    auto last = u.partial.empty() ? Status{} : feed_locked(u, u.partial);
    u.partial.clear();
    if (!last) {
        (void)ps_end_utt(u.decoder->ps);
        return tl::unexpected(last.error());
    }
    if (ps_end_utt(u.decoder->ps) < 0)
        return fail(EngineError::kRecognitionFailed);
    int32 score = 0;
    return normalize_hypothesis(ps_get_hyp(u.decoder->ps, &score));
}

// Drains, ends and reads the hypothesis; the decoder stays in `u` for the caller to release.
Result<std::string> complete_locked(UtteranceState& u) {
    if (auto status = drain_locked(u); !status) {
        (void)ps_end_utt(u.decoder->ps);  // leave the decoder ready for its next utterance
        return tl::unexpected(status.error());
    }
    return end_locked(u);
}

// Serves `decoder` to the oldest waiting utterance (repeatedly, on this thread), then returns
// it to the idle list. Must be called with no utterance mutex held.
void release(RecognizerPoolState& pool, std::unique_ptr<Decoder> decoder) {
    while (decoder) {
        std::shared_ptr<UtteranceState> waiter;
        {
            std::lock_guard lock(pool.mutex);
            if (pool.waiters.empty()) {
                pool.idle.push_back(std::move(decoder));
                --pool.busy;
                return;
            }
            waiter = std::move(pool.waiters.front());
            pool.waiters.pop_front();
        }
        Utterance::FinishHandler done;
        Result<std::string> result;
        {
            std::lock_guard lock(waiter->mutex);
            if (waiter->phase != Phase::kWaiting)
                continue;  // cancelled meanwhile
            if (auto started = start_locked(*waiter, std::move(decoder)); started) {
                result = complete_locked(*waiter);
            } else {
                (void)ps_end_utt(waiter->decoder->ps);
                result = tl::unexpected(started.error());
            }
            decoder = std::move(waiter->decoder);
            waiter->phase = Phase::kClosed;
            done = std::move(waiter->done);
        }
        if (done)
            done(std::move(result));
    }
}

}  // namespace

// ---- Utterance ----

Utterance::Utterance(std::shared_ptr<detail::UtteranceState> state) : state_(std::move(state)) {}
Utterance::Utterance(Utterance&&) noexcept = default;
Utterance& Utterance::operator=(Utterance&& other) noexcept {
    if (this != &other) {
        cancel();
        state_ = std::move(other.state_);
    }
    return *this;
}
Utterance::~Utterance() {
    cancel();
}

Status Utterance::feed(std::span<const int16_t> pcm_16k) {
    if (!state_)
        return fail(EngineError::kUtteranceClosed);
    auto& u = *state_;
    std::unique_ptr<Decoder> to_release;
    Status status;
    {
        std::lock_guard lock(u.mutex);
        if (u.phase != Phase::kOpen || u.cancel_requested.load()) {
            return fail(EngineError::kUtteranceClosed);
        }
        const auto limit_samples =
            static_cast<std::size_t>(u.pool->config.max_utterance.count()) * (kSampleRateHz / 1000);
        if (u.total_samples + pcm_16k.size() > limit_samples) {
            return fail(EngineError::kUtteranceTooLong);
        }
        u.total_samples += pcm_16k.size();
        if (!u.decoder) {
            auto decoder = acquire(*u.pool, nullptr);
            if (!decoder) {
                u.queued.insert(u.queued.end(), pcm_16k.begin(), pcm_16k.end());
                return tl::unexpected(decoder.error());
            }
            if (*decoder) {
                status = start_locked(u, std::move(*decoder));
                if (status)
                    status = drain_locked(u);
            }
        }
        if (!u.decoder) {
            u.queued.insert(u.queued.end(), pcm_16k.begin(), pcm_16k.end());
            return {};
        }
        if (status)
            status = process_locked(u, pcm_16k);
        if (status || status.error() == EngineError::kCancelled)
            return status;
        // pocketsphinx failed: this utterance is lost; keep the decoder usable.
        (void)ps_end_utt(u.decoder->ps);
        to_release = std::move(u.decoder);
        u.phase = Phase::kClosed;
    }
    release(*u.pool, std::move(to_release));
    return status;
}

void Utterance::finish_async(FinishHandler done) {
    if (!state_) {
        done(fail(EngineError::kUtteranceClosed));
        return;
    }
    auto& u = *state_;
    std::unique_ptr<Decoder> to_release;
    Result<std::string> result;
    {
        std::unique_lock lock(u.mutex);
        if (u.phase != Phase::kOpen) {
            lock.unlock();
            done(fail(EngineError::kUtteranceClosed));
            return;
        }
        if (u.cancel_requested.load()) {
            u.phase = Phase::kClosed;
            lock.unlock();
            done(fail(EngineError::kCancelled));
            return;
        }
        if (u.total_samples == 0) {  // nothing heard: no decoder needed
            u.phase = Phase::kClosed;
            lock.unlock();
            done(std::string());
            return;
        }
        if (!u.decoder) {
            // Set the waiting state before acquire() can publish us to release().
            u.phase = Phase::kWaiting;
            u.done = std::move(done);
            auto decoder = acquire(*u.pool, state_);
            if (decoder && !*decoder)
                return;  // queued; release() completes us
            done = std::move(u.done);
            u.phase = Phase::kClosed;
            if (!decoder) {
                lock.unlock();
                done(tl::unexpected(decoder.error()));
                return;
            }
            if (auto started = start_locked(u, std::move(*decoder)); !started) {
                (void)ps_end_utt(u.decoder->ps);
                result = tl::unexpected(started.error());
            } else {
                result = complete_locked(u);
            }
        } else {
            u.phase = Phase::kClosed;
            result = complete_locked(u);
        }
        to_release = std::move(u.decoder);
    }
    // The user waits for this text: answer first, then serve other waiters.
    done(std::move(result));
    release(*u.pool, std::move(to_release));
}

Result<std::string> Utterance::finish() {
    std::promise<Result<std::string>> promise;
    auto future = promise.get_future();
    finish_async([&promise](Result<std::string> text) { promise.set_value(std::move(text)); });
    return future.get();
}

void Utterance::cancel() {
    if (!state_)
        return;
    auto& u = *state_;
    u.cancel_requested.store(true);
    std::unique_ptr<Decoder> to_release;
    FinishHandler done;
    {
        std::lock_guard lock(u.mutex);
        if (u.phase == Phase::kClosed)
            return;
        if (u.phase == Phase::kWaiting) {
            std::lock_guard pool_lock(u.pool->mutex);
            auto& waiters = u.pool->waiters;
            waiters.erase(std::remove(waiters.begin(), waiters.end(), state_), waiters.end());
            done = std::move(u.done);
        }
        u.phase = Phase::kClosed;
        u.queued.clear();
        u.partial.clear();
        if (u.decoder)
            (void)ps_end_utt(u.decoder->ps);
        to_release = std::move(u.decoder);
    }
    release(*u.pool, std::move(to_release));
    if (done)
        done(fail(EngineError::kCancelled));
}

bool Utterance::has_decoder() const {
    if (!state_)
        return false;
    std::lock_guard lock(state_->mutex);
    return state_->decoder != nullptr;
}

std::size_t Utterance::queued_samples() const {
    if (!state_)
        return 0;
    std::lock_guard lock(state_->mutex);
    return state_->queued.size();
}

// ---- RecognizerPool ----

RecognizerPool::RecognizerPool(std::shared_ptr<detail::RecognizerPoolState> state)
    : state_(std::move(state)) {}

Result<RecognizerPool> RecognizerPool::create(RecognizerConfig config, Loader loader) {
    if (config.decoders == 0)
        config.decoders = 1;
    std::error_code ec;
    for (const auto& path : {hmm_dir(config), lm_file(config), dict_file(config)}) {
        if (!std::filesystem::exists(path, ec)) {
            log::error("speech model file {} is missing: install pocketsphinx-en-us",
                       path.string());
            return fail(EngineError::kSpeechModelMissing);
        }
    }
    static std::once_flag silence_once;
    std::call_once(silence_once, [] { err_set_logfp(nullptr); });

    auto state = std::make_shared<detail::RecognizerPoolState>();
    state->config = std::move(config);
    state->loader = std::move(loader);
    return RecognizerPool(std::move(state));
}

Status RecognizerPool::warm_up() {
    auto& pool = *state_;
    for (;;) {
        {
            std::lock_guard lock(pool.mutex);
            if (pool.loaded >= std::min(pool.config.preload_decoders, pool.config.decoders))
                return {};
            ++pool.loaded;
            ++pool.busy;
        }
        auto decoder = load_decoder(pool.config);
        if (!decoder) {
            std::lock_guard lock(pool.mutex);
            --pool.loaded;
            --pool.busy;
            return tl::unexpected(decoder.error());
        }
        release(pool, std::move(*decoder));
    }
}

Utterance RecognizerPool::begin() {
    return Utterance(std::make_shared<detail::UtteranceState>(state_));
}

std::size_t RecognizerPool::decoders_loaded() const {
    std::lock_guard lock(state_->mutex);
    return state_->loaded;
}

std::size_t RecognizerPool::decoders_busy() const {
    std::lock_guard lock(state_->mutex);
    return state_->busy;
}

const RecognizerConfig& RecognizerPool::config() const {
    return state_->config;
}

}  // namespace parley::server
