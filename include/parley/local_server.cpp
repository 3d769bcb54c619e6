// SPDX-License-Identifier: Apache-2.0
#include "parley/local_server.hpp"

#include "base/log.hpp"
#include "dsp/resampler.hpp"
#include "dsp/wav_file.hpp"
#include "server/synthesizer.hpp"
#include "server/voice_map.hpp"

namespace parley {

bool set_log_level(std::string_view level) {
    log::Level parsed = log::Level::kInfo;
    if (!log::parse_level(level, parsed)) return false;
    log::set_level(parsed);
    return true;
}

Status speak_to_wav(const std::string& text, const std::string& voice, int rate_hz,
                    const std::string& path) {
    auto synthesizer = server::Synthesizer::create();
    if (!synthesizer) return fail(synthesizer.error());
    auto flite_voice = server::flite_voice_for(voice);
    for (auto candidate : {server::FliteVoice::kSlt, server::FliteVoice::kRms,
                           server::FliteVoice::kAwb}) {
        if (server::flite_voice_name(candidate) == voice) flite_voice = candidate;
    }
    auto pcm = synthesizer->synthesize(text, flite_voice);
    if (!pcm) return fail(pcm.error());
    auto samples = rate_hz == server::Synthesizer::kOutputRateHz
                       ? std::move(*pcm)
                       : dsp::resample(*pcm, server::Synthesizer::kOutputRateHz, rate_hz);
    return dsp::write_wav_mono(path, samples, rate_hz);
}

}  // namespace parley
