// SPDX-License-Identifier: Apache-2.0
#include "server/voice_map.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace parley::server {
namespace {

// LIVE_PROTOCOL.md §9: the 30 voices of the native-audio models.
const char* const kApiVoices[] = {
    "Zephyr",    "Puck",          "Charon",       "Kore",      "Fenrir",     "Leda",
    "Orus",      "Aoede",         "Callirrhoe",   "Autonoe",   "Enceladus",  "Iapetus",
    "Umbriel",   "Algieba",       "Despina",      "Erinome",   "Algenib",    "Rasalgethi",
    "Laomedeia", "Achernar",      "Alnilam",      "Schedar",   "Gacrux",     "Pulcherrima",
    "Achird",    "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat"};

TEST(VoiceMap, TableHoldsEveryApiVoiceOnce) {
    std::set<std::string> names;
    for (const auto& mapping : voice_table()) names.emplace(mapping.api_name);
    EXPECT_EQ(names.size(), 30u);
    for (const char* name : kApiVoices) EXPECT_TRUE(names.count(name)) << name;
}

TEST(VoiceMap, EveryApiVoiceMapsToItsTableEntry) {
    for (const auto& mapping : voice_table()) {
        SCOPED_TRACE(std::string(mapping.api_name));
        EXPECT_EQ(flite_voice_for(mapping.api_name), mapping.voice);
    }
}

TEST(VoiceMap, NamesAreCaseInsensitive) {
    for (const auto& mapping : voice_table()) {
        std::string lower(mapping.api_name);
        std::string upper(mapping.api_name);
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(ch));
        for (auto& ch : upper) ch = static_cast<char>(std::toupper(ch));
        EXPECT_EQ(flite_voice_for(lower), mapping.voice) << lower;
        EXPECT_EQ(flite_voice_for(upper), mapping.voice) << upper;
    }
}

TEST(VoiceMap, StableDocumentedChoices) {
    // A change here changes what users hear: keep the table stable.
    EXPECT_EQ(flite_voice_for("Puck"), FliteVoice::kRms);
    EXPECT_EQ(flite_voice_for("Charon"), FliteVoice::kAwb);
    EXPECT_EQ(flite_voice_for("Kore"), FliteVoice::kSlt);
    EXPECT_EQ(flite_voice_for("Aoede"), FliteVoice::kSlt);
    EXPECT_EQ(flite_voice_for("Zephyr"), FliteVoice::kSlt);
    EXPECT_EQ(flite_voice_for("Fenrir"), FliteVoice::kRms);
    EXPECT_EQ(flite_voice_for("Orus"), FliteVoice::kAwb);
}

TEST(VoiceMap, UsesAllThreeVoices) {
    std::set<FliteVoice> used;
    for (const auto& mapping : voice_table()) used.insert(mapping.voice);
    EXPECT_EQ(used.size(), 3u);
}

TEST(VoiceMap, UnknownOrAbsentNameGetsTheDefault) {
    EXPECT_EQ(flite_voice_for(""), kDefaultFliteVoice);
    EXPECT_EQ(flite_voice_for("NoSuchVoice"), kDefaultFliteVoice);
    EXPECT_EQ(flite_voice_for("Puck "), kDefaultFliteVoice);
    EXPECT_EQ(kDefaultFliteVoice, FliteVoice::kSlt);
}

TEST(VoiceMap, VoiceNames) {
    EXPECT_EQ(flite_voice_name(FliteVoice::kSlt), "slt");
    EXPECT_EQ(flite_voice_name(FliteVoice::kRms), "rms");
    EXPECT_EQ(flite_voice_name(FliteVoice::kAwb), "awb");
}

}  // namespace
}  // namespace parley::server
