// SPDX-License-Identifier: Apache-2.0
// Table-driven base64. Encoding walks 3 input bytes -> 4 chars; decoding 4 chars -> 3 bytes with
// one 256-entry table that maps both alphabets (proto3 JSON: "either standard or URL-safe base64
// encoding with/without paddings are accepted").
#include "protocol/base64.hpp"

#include <array>

namespace parley::protocol {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kInvalid = 0xFF;
constexpr std::uint8_t kPad = 0xFE;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t) v = kInvalid;
    for (int i = 0; i < 64; ++i)
        t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
    t[static_cast<unsigned char>('-')] = 62;  // URL-safe alphabet
    t[static_cast<unsigned char>('_')] = 63;
    t[static_cast<unsigned char>('=')] = kPad;
    return t;
}

constexpr std::array<std::uint8_t, 256> kDecode = make_decode_table();

// Slow path, only after decoding failed: the offset of the first character that makes `text`
// invalid, so that error messages point at the real culprit.
Base64Failure diagnose(std::string_view text) {
    std::size_t first_pad = std::string_view::npos;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const std::uint8_t x = kDecode[static_cast<unsigned char>(text[i])];
        if (x == kInvalid)
            return Base64Failure{i};
        if (x == kPad && first_pad == std::string_view::npos)
            first_pad = i;
        if (x != kPad && first_pad != std::string_view::npos)
            return Base64Failure{first_pad};
    }
    if (first_pad != std::string_view::npos)
        return Base64Failure{first_pad};                       // misplaced '='
    return Base64Failure{text.empty() ? 0 : text.size() - 1};  // a dangling 6-bit character
}

}  // namespace

void base64_encode_append(std::span<const std::uint8_t> bytes, std::string& out) {
    const std::size_t start = out.size();
    out.resize(start + base64_encoded_size(bytes.size()));
    char* dst = out.data() + start;
    const std::uint8_t* src = bytes.data();
    std::size_t n = bytes.size();
    while (n >= 3) {
        const std::uint32_t v =
            (std::uint32_t{src[0]} << 16) | (std::uint32_t{src[1]} << 8) | src[2];
        dst[0] = kAlphabet[(v >> 18) & 63];
        dst[1] = kAlphabet[(v >> 12) & 63];
        dst[2] = kAlphabet[(v >> 6) & 63];
        dst[3] = kAlphabet[v & 63];
        src += 3;
        dst += 4;
        n -= 3;
    }
    if (n == 1) {
        const std::uint32_t v = std::uint32_t{src[0]} << 16;
        dst[0] = kAlphabet[(v >> 18) & 63];
        dst[1] = kAlphabet[(v >> 12) & 63];
        dst[2] = '=';
        dst[3] = '=';
    } else if (n == 2) {
        const std::uint32_t v = (std::uint32_t{src[0]} << 16) | (std::uint32_t{src[1]} << 8);
        dst[0] = kAlphabet[(v >> 18) & 63];
        dst[1] = kAlphabet[(v >> 12) & 63];
        dst[2] = kAlphabet[(v >> 6) & 63];
        dst[3] = '=';
    }
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    base64_encode_append(bytes, out);
    return out;
}

std::optional<Base64Failure> base64_decode(std::string_view text, std::vector<std::uint8_t>& out) {
    // Length without trailing padding (at most two '=' and only where they can belong).
    std::size_t len = text.size();
    std::size_t pads = 0;
    while (len > 0 && text[len - 1] == '=' && pads < 2) {
        --len;
        ++pads;
    }
    // Padding must complete a quad, and a lone trailing character (6 bits) cannot make a byte.
    if ((pads > 0 && text.size() % 4 != 0) || len % 4 == 1)
        return diagnose(text);

    out.resize(len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1));
    std::uint8_t* dst = out.data();
    const auto* src = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        const std::uint8_t a = kDecode[src[i]];
        const std::uint8_t b = kDecode[src[i + 1]];
        const std::uint8_t c = kDecode[src[i + 2]];
        const std::uint8_t d = kDecode[src[i + 3]];
        if ((a | b | c | d) & 0xC0)
            return diagnose(text);  // invalid, or '=' inside the data
        const std::uint32_t v =
            (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{c} << 6) | d;
        dst[0] = static_cast<std::uint8_t>(v >> 16);
        dst[1] = static_cast<std::uint8_t>(v >> 8);
        dst[2] = static_cast<std::uint8_t>(v);
        dst += 3;
    }
    const std::size_t rest = len - i;
    if (rest >= 2) {
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < rest; ++k) {
            const std::uint8_t x = kDecode[src[i + k]];
            if (x & 0xC0)
                return diagnose(text);
            v |= std::uint32_t{x} << (18 - 6 * k);
        }
        dst[0] = static_cast<std::uint8_t>(v >> 16);
        if (rest == 3)
            dst[1] = static_cast<std::uint8_t>(v >> 8);
    }
    return std::nullopt;
}

}  // namespace parley::protocol
