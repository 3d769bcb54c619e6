// SPDX-License-Identifier: Apache-2.0
#include "support/flite_speech.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

extern "C" {
#include <flite/flite.h>

// Voice registration functions of the flite_cmu_us_* libraries (they ship no header).
cst_voice* register_cmu_us_slt(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
}

namespace parley::test {
namespace {

// flite keeps global state (voice registration, lexicon caches): one caller at a time.
std::mutex& flite_mutex() {
    static std::mutex mutex;
    return mutex;
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "parley_test_support: %s\n", what.c_str());
    std::abort();
}

// Registers each voice once (under flite_mutex) and keeps it for the life of the process.
cst_voice* voice_for(Voice voice) {
    static const bool initialized = (flite_init(), true);
    (void)initialized;
    cst_voice* v = nullptr;
    switch (voice) {
        case Voice::kSlt: {
            static cst_voice* const slt = register_cmu_us_slt(nullptr);
            v = slt;
            break;
        }
        case Voice::kRms: {
            static cst_voice* const rms_voice = register_cmu_us_rms(nullptr);
            v = rms_voice;
            break;
        }
        case Voice::kAwb: {
            static cst_voice* const awb = register_cmu_us_awb(nullptr);
            v = awb;
            break;
        }
    }
    if (v == nullptr)
        die(std::string("cannot load flite voice ") + voice_name(voice));
    return v;
}

}  // namespace

const char* voice_name(Voice voice) {
    switch (voice) {
        case Voice::kSlt:
            return "slt";
        case Voice::kRms:
            return "rms";
        case Voice::kAwb:
            return "awb";
    }
    return "?";
}

Samples speak(std::string_view text, Voice voice) {
    if (text.empty())
        return {};
    const std::lock_guard lock(flite_mutex());
    cst_voice* v = voice_for(voice);
    const std::string text_z(text);
    cst_wave* wave = flite_text_to_wave(text_z.c_str(), v);
    if (wave == nullptr || wave->num_samples <= 0)
        die("flite produced no audio for: " + text_z);
    if (wave->sample_rate != kSpeechRateHz || wave->num_channels != 1) {
        die("flite voice " + std::string(voice_name(voice)) + " gave " +
            std::to_string(wave->sample_rate) + " Hz, " + std::to_string(wave->num_channels) +
            " channels; expected 16000 Hz mono");
    }
    Samples out(wave->samples, wave->samples + wave->num_samples);
    delete_wave(wave);
    return out;
}

}  // namespace parley::test
