// SPDX-License-Identifier: Apache-2.0
#include "server/voice_map.hpp"

#include <array>
#include <cctype>

namespace parley::server {
namespace {

constexpr auto kSlt = FliteVoice::kSlt;
constexpr auto kRms = FliteVoice::kRms;
constexpr auto kAwb = FliteVoice::kAwb;

// LIVE_PROTOCOL.md §9 order. Genders as Google's voice list describes them (Chirp 3 HD voices
// share these names): female -> slt; male -> rms and awb in turn, down the list.
constexpr std::array<VoiceMapping, 30> kTable{{
    {"Zephyr", kSlt},     {"Puck", kRms},          {"Charon", kAwb},       {"Kore", kSlt},
    {"Fenrir", kRms},     {"Leda", kSlt},          {"Orus", kAwb},         {"Aoede", kSlt},
    {"Callirrhoe", kSlt}, {"Autonoe", kSlt},       {"Enceladus", kRms},    {"Iapetus", kAwb},
    {"Umbriel", kRms},    {"Algieba", kAwb},       {"Despina", kSlt},      {"Erinome", kSlt},
    {"Algenib", kRms},    {"Rasalgethi", kAwb},    {"Laomedeia", kSlt},    {"Achernar", kSlt},
    {"Alnilam", kRms},    {"Schedar", kAwb},       {"Gacrux", kSlt},       {"Pulcherrima", kSlt},
    {"Achird", kRms},     {"Zubenelgenubi", kAwb}, {"Vindemiatrix", kSlt}, {"Sadachbia", kRms},
    {"Sadaltager", kAwb}, {"Sulafat", kSlt},
}};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::string_view flite_voice_name(FliteVoice voice) {
    switch (voice) {
        case FliteVoice::kSlt:
            return "slt";
        case FliteVoice::kRms:
            return "rms";
        case FliteVoice::kAwb:
            return "awb";
    }
    return "slt";
}

std::span<const VoiceMapping> voice_table() {
    return kTable;
}

FliteVoice flite_voice_for(std::string_view api_voice_name) {
    for (const auto& mapping : kTable) {
        if (equals_ignoring_case(mapping.api_name, api_voice_name))
            return mapping.voice;
    }
    return kDefaultFliteVoice;
}

}  // namespace parley::server
