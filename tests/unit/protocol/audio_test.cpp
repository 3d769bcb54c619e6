// SPDX-License-Identifier: Apache-2.0
// PCM16 audio helpers: mimeType rate parsing, little-endian blobs, and the fast audio encoder
// matching the generic one byte for byte.
#include "protocol/audio.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/codec.hpp"

namespace parley::protocol {
namespace {

TEST(AudioTest, ParsesRateParameter) {
    EXPECT_EQ(pcm_rate_hz("audio/pcm;rate=16000"), 16000);
    EXPECT_EQ(pcm_rate_hz("audio/pcm;rate=24000"), 24000);
    EXPECT_EQ(pcm_rate_hz("audio/pcm; rate=48000"), 48000);
    EXPECT_EQ(pcm_rate_hz("audio/L16;codec=pcm;rate=8000"), 8000);
    EXPECT_EQ(pcm_rate_hz("audio/pcm"), 24000);
    EXPECT_EQ(pcm_rate_hz("audio/pcm", 16000), 16000);
    EXPECT_EQ(pcm_rate_hz("audio/pcm;rate=fast"), 24000);
    EXPECT_EQ(pcm_rate_hz("audio/pcm;rate=-5"), 24000);
    EXPECT_EQ(pcm_rate_hz("audio/pcm;rate="), 24000);
    EXPECT_EQ(pcm_mime_type(16000), "audio/pcm;rate=16000");
}

TEST(AudioTest, BlobIsLittleEndianPcm16) {
    const std::vector<std::int16_t> samples = {0x0102, -2, 32767, -32768};
    const Blob blob = make_pcm16_blob(samples, 16000);
    EXPECT_EQ(blob.mime_type, "audio/pcm;rate=16000");
    EXPECT_EQ(blob.data,
              (std::vector<std::uint8_t>{0x02, 0x01, 0xFE, 0xFF, 0xFF, 0x7F, 0x00, 0x80}));
    EXPECT_EQ(pcm16_samples(blob.data), samples);
    const std::vector<std::uint8_t> odd = {0x01, 0x00, 0x7F};
    EXPECT_EQ(pcm16_samples(odd), std::vector<std::int16_t>{1});
}

TEST(AudioTest, FastEncoderMatchesGenericEncoder) {
    // 20 ms and 100 ms at 16 kHz, plus sizes around the internal block size.
    for (std::size_t n : {0u, 1u, 2u, 3u, 320u, 767u, 768u, 769u, 1600u, 2305u}) {
        SCOPED_TRACE(n);
        std::vector<std::int16_t> samples(n);
        for (std::size_t i = 0; i < n; ++i) {
            samples[i] = static_cast<std::int16_t>(8000 * std::sin(0.05 * static_cast<double>(i)));
        }
        const std::string fast = encode_audio_input(samples);
        EXPECT_EQ(fast, encode_client_message(make_audio_input(samples)));
        auto decoded = decode_client_message(fast);
        ASSERT_TRUE(decoded) << decoded.error().message;
        const auto& blob = std::get<AudioInput>(std::get<RealtimeInput>(*decoded).input).audio;
        EXPECT_EQ(pcm16_samples(blob.data), samples);
        EXPECT_EQ(pcm_rate_hz(blob.mime_type), 16000);
    }
}

TEST(AudioTest, TwentyMillisecondsAt16kHzIs640BytesOnTheWireAsBase64) {
    const std::vector<std::int16_t> samples(320);
    const std::string wire = encode_audio_input(samples);
    // 640 bytes -> 856 base64 chars, plus 35 before ({"realtimeInput":{"audio":{"data":") and
    // 38 after (","mimeType":"audio/pcm;rate=16000"}}}).
    EXPECT_EQ(wire.size(), 856u + 35u + 38u);
}

TEST(AudioTest, AudioOutputMessageCarriesOneInlineDataPart) {
    const std::vector<std::int16_t> samples(480, 7);
    const ServerMessage m = make_audio_output(samples);
    ASSERT_TRUE(m.server_content && m.server_content->model_turn);
    ASSERT_EQ(m.server_content->model_turn->parts.size(), 1u);
    const auto& blob = m.server_content->model_turn->parts[0].inline_data;
    ASSERT_TRUE(blob);
    EXPECT_EQ(blob->mime_type, "audio/pcm;rate=24000");
    EXPECT_EQ(pcm16_samples(blob->data), samples);
}

}  // namespace
}  // namespace parley::protocol
