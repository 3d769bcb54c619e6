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

Result<std::vector<std::int16_t>> speak(const std::string& text, const std::string& voice,
                                        int rate_hz) {
    auto synthesizer = server::Synthesizer::create();
    if (!synthesizer) return fail(synthesizer.error());
    auto flite_voice = server::flite_voice_for(voice);
    for (auto candidate : {server::FliteVoice::kSlt, server::FliteVoice::kRms,
                           server::FliteVoice::kAwb}) {
        if (server::flite_voice_name(candidate) == voice) flite_voice = candidate;
    }
    auto pcm = synthesizer->synthesize(text, flite_voice);
    if (!pcm) return fail(pcm.error());
    if (rate_hz == server::Synthesizer::kOutputRateHz) return std::move(*pcm);
    return dsp::resample(*pcm, server::Synthesizer::kOutputRateHz, rate_hz);
}

Status speak_to_wav(const std::string& text, const std::string& voice, int rate_hz,
                    const std::string& path) {
    auto samples = speak(text, voice, rate_hz);
    if (!samples) return fail(samples.error());
    return dsp::write_wav_mono(path, *samples, rate_hz);
}

}  // namespace parley
