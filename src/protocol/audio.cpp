// SPDX-License-Identifier: Apache-2.0
// PCM16 blob helpers. The wire format is little-endian whatever the host; the byte copies below
// are explicit so that they stay correct on big-endian hosts too.
#include "protocol/audio.hpp"

#include <charconv>

#include "protocol/base64.hpp"

namespace parley::protocol {
namespace {

void append_pcm16_le(std::span<const std::int16_t> samples, std::vector<std::uint8_t>& out) {
    out.resize(samples.size() * 2);
    std::uint8_t* dst = out.data();
    for (const std::int16_t s : samples) {
        const auto u = static_cast<std::uint16_t>(s);
        *dst++ = static_cast<std::uint8_t>(u & 0xFF);
        *dst++ = static_cast<std::uint8_t>(u >> 8);
    }
}

}  // namespace

std::string pcm_mime_type(int rate_hz) {
    return "audio/pcm;rate=" + std::to_string(rate_hz);
}

int pcm_rate_hz(std::string_view mime_type, int default_rate_hz) {
    // Parameters follow ';' and may carry spaces ("audio/pcm; rate=24000").
    std::size_t pos = mime_type.find(';');
    while (pos != std::string_view::npos) {
        std::string_view param = mime_type.substr(pos + 1);
        const std::size_t next = param.find(';');
        param = param.substr(0, next);
        while (!param.empty() && param.front() == ' ') param.remove_prefix(1);
        while (!param.empty() && param.back() == ' ') param.remove_suffix(1);
        if (param.size() > 5 && (param.substr(0, 5) == "rate=" || param.substr(0, 5) == "RATE=")) {
            int rate = 0;
            const auto digits = param.substr(5);
            const auto [ptr, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), rate);
            if (ec == std::errc() && ptr == digits.data() + digits.size() && rate > 0)
                return rate;
            return default_rate_hz;
        }
        pos = next == std::string_view::npos ? next : pos + 1 + next;
    }
    return default_rate_hz;
}

Blob make_pcm16_blob(std::span<const std::int16_t> samples, int rate_hz) {
    Blob blob;
    append_pcm16_le(samples, blob.data);
    blob.mime_type = pcm_mime_type(rate_hz);
    return blob;
}

std::vector<std::int16_t> pcm16_samples(std::span<const std::uint8_t> bytes) {
    std::vector<std::int16_t> out(bytes.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(bytes[2 * i]) |
                                           static_cast<std::uint16_t>(bytes[2 * i + 1] << 8));
    }
    return out;
}

RealtimeInput make_audio_input(std::span<const std::int16_t> samples, int rate_hz) {
    return RealtimeInput{AudioInput{make_pcm16_blob(samples, rate_hz)}};
}

std::string encode_audio_input(std::span<const std::int16_t> samples, int rate_hz) {
    static constexpr std::string_view kHead = R"({"realtimeInput":{"audio":{"data":")";
    static constexpr std::string_view kMid = R"(","mimeType":")";
    static constexpr std::string_view kTail = R"("}}})";
    const std::string mime = pcm_mime_type(rate_hz);  // digits only: needs no escaping
    std::string out;
    out.reserve(kHead.size() + base64_encoded_size(samples.size() * 2) + kMid.size() + mime.size() +
                kTail.size());
    out += kHead;
    // Convert in small stack blocks so no temporary byte vector is allocated. 3 * 512 bytes per
    // block keeps every block a whole number of base64 quads.
    constexpr std::size_t kBlockSamples = 768;
    std::uint8_t block[kBlockSamples * 2];
    for (std::size_t at = 0; at < samples.size(); at += kBlockSamples) {
        const std::size_t n = std::min(kBlockSamples, samples.size() - at);
        for (std::size_t i = 0; i < n; ++i) {
            const auto u = static_cast<std::uint16_t>(samples[at + i]);
            block[2 * i] = static_cast<std::uint8_t>(u & 0xFF);
            block[2 * i + 1] = static_cast<std::uint8_t>(u >> 8);
        }
        base64_encode_append(std::span<const std::uint8_t>(block, n * 2), out);
    }
    out += kMid;
    out += mime;
    out += kTail;
    return out;
}

ServerMessage make_audio_output(std::span<const std::int16_t> samples, int rate_hz) {
    Part part;
    part.inline_data = make_pcm16_blob(samples, rate_hz);
    ServerContent content;
    content.model_turn = Content{.parts = {std::move(part)}, .role = std::nullopt};
    ServerMessage message;
    message.server_content = std::move(content);
    return message;
}

}  // namespace parley::protocol
