// SPDX-License-Identifier: Apache-2.0
// The only file that includes flite.
//
// Thread safety, established with valgrind's helgrind on 3 threads synthesising at once (two on
// the same voice): the only races reported are inside glibc (rand(), which flite's cg_synth
// calls and glibc locks internally, and stdio). flite links each utterance's features to the
// voice's instead of copying them ("to make things thread safe(r)", cst_features.c), so one
// utterance per thread is fine. Registration is not: flite_init() and register_cmu_us_*()
// fill process-wide tables without locks, so they run once under std::call_once.
// flite's cst_error() exits the process on internal errors; we keep its input to plain ASCII.
// The voices are loaded with dlopen() on first use, not linked: mapped and relocated they are
// ~5 MB of resident memory, which a `parley talk` that talks to a remote model never needs.
#include "server/synthesizer.hpp"

#include <array>
#include <cctype>
#include <mutex>
#include <string>

#include <dlfcn.h>
#include <flite/flite.h>

#include "base/log.hpp"
#include "dsp/frame.hpp"
#include "dsp/resampler.hpp"
#include "server/engine_error.hpp"

namespace parley::server {
namespace {

constexpr int kFliteRateHz = 16000;

struct Voices {
    std::array<cst_voice*, 3> by_index{};
};

// Registers the voice in `library` (Debian's flite1-dev: libflite_cmu_us_<name>.so.1, which
// brings the English lexicon and language libraries), or nullptr. The library stays loaded:
// flite keeps pointers into it.
cst_voice* load_voice(const char* library, const char* register_function) {
    void* handle = ::dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        log::error("cannot load the flite voice {}: {}", library, ::dlerror());
        return nullptr;
    }
    using Register = cst_voice* (*)(const char*);
    const auto registration = reinterpret_cast<Register>(::dlsym(handle, register_function));
    return registration != nullptr ? registration(nullptr) : nullptr;
}

const Voices& voices() {
    static Voices registered;
    static std::once_flag once;
    std::call_once(once, [] {
        flite_init();
        registered.by_index = {load_voice("libflite_cmu_us_slt.so.1", "register_cmu_us_slt"),
                               load_voice("libflite_cmu_us_rms.so.1", "register_cmu_us_rms"),
                               load_voice("libflite_cmu_us_awb.so.1", "register_cmu_us_awb")};
    });
    return registered;
}

cst_voice* voice_of(FliteVoice voice) {
    return voices().by_index.at(static_cast<std::size_t>(voice));
}

// ASCII printable text only, whitespace collapsed; empty when there is nothing to say.
std::string sanitize(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool speakable = false;
    for (const char ch : text) {
        const auto byte = static_cast<unsigned char>(ch);
        if (byte >= 0x21 && byte < 0x7f) {
            out += ch;
            if (std::isalnum(byte))
                speakable = true;
        } else if (!out.empty() && out.back() != ' ') {
            out += ' ';
        }
    }
    if (!speakable)
        out.clear();
    return out;
}

}  // namespace

Result<Synthesizer> Synthesizer::create() {
    for (const auto* voice : voices().by_index) {
        if (voice == nullptr)
            return fail(EngineError::kVoiceUnavailable);
    }
    return Synthesizer();
}

Result<std::vector<int16_t>> Synthesizer::synthesize(std::string_view text,
                                                     FliteVoice voice) const {
    const std::string clean = sanitize(text);
    if (clean.empty())
        return std::vector<int16_t>();
    cst_wave* wave = flite_text_to_wave(clean.c_str(), voice_of(voice));
    if (wave == nullptr)
        return fail(EngineError::kSynthesisFailed);
    std::vector<int16_t> out;
    if (wave->num_samples > 0 && wave->samples != nullptr) {
        const std::span<const int16_t> pcm(wave->samples,
                                           static_cast<std::size_t>(wave->num_samples));
        // The voices we register all speak at 16 kHz; resample from whatever flite reports.
        const int rate_hz = wave->sample_rate > 0 ? wave->sample_rate : kFliteRateHz;
        if (!dsp::is_valid_rate_hz(rate_hz)) {
            delete_wave(wave);
            return fail(EngineError::kResampleFailed);
        }
        out = dsp::resample(pcm, rate_hz, kOutputRateHz);
    }
    delete_wave(wave);
    if (out.empty())
        return fail(EngineError::kSynthesisFailed);
    return out;
}

const std::vector<int16_t>& Synthesizer::calibration_speech_16k() const {
    // Synthesized once per process: each server start would otherwise spend ~0.3 s on it, and
    // the recognizer finds its cached mean by comparing these samples.
    static const std::vector<int16_t> speech = [this] {
        constexpr std::string_view kText =
            "Hello there. What time is it, and could you tell me a story?";
        std::vector<int16_t> out;
        for (const auto voice : {FliteVoice::kSlt, FliteVoice::kRms, FliteVoice::kAwb}) {
            const auto pcm = synthesize(kText, voice);
            if (!pcm)
                continue;
            const auto pcm_16k = dsp::resample(*pcm, kOutputRateHz, dsp::kInputRateHz);
            out.insert(out.end(), pcm_16k.begin(), pcm_16k.end());
        }
        return out;
    }();
    return speech;
}

}  // namespace parley::server
