// SPDX-License-Identifier: Apache-2.0
// The API's 30 prebuilt voice names (speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName)
// mapped onto the three flite voices the local server speaks with. Called by the session at
// setup (io or work; pure functions, thread-safe).
#pragma once

#include <span>
#include <string_view>

namespace parley::server {

// flite voices whose speech pocketsphinx reads back (kal is left out: it is not recognised).
enum class FliteVoice {
    kSlt,  // US English, female
    kRms,  // US English, male
    kAwb,  // Scottish English, male
};

// "slt", "rms" or "awb".
[[nodiscard]] std::string_view flite_voice_name(FliteVoice voice);

// Used for absent or unknown names: slt, the voice pocketsphinx reads back best.
inline constexpr FliteVoice kDefaultFliteVoice = FliteVoice::kSlt;

struct VoiceMapping {
    std::string_view api_name;  // as the API spells it, e.g. "Puck"
    FliteVoice voice;
};

// The fixed table, in the API's order. Documented and stable: a name always maps to the same
// voice. Voices Google describes as female speak with slt; male ones alternate rms and awb.
[[nodiscard]] std::span<const VoiceMapping> voice_table();

// The flite voice for an API voice name, compared case-insensitively; kDefaultFliteVoice for an
// empty or unknown name.
[[nodiscard]] FliteVoice flite_voice_for(std::string_view api_voice_name);

}  // namespace parley::server
