// SPDX-License-Identifier: Apache-2.0
// Base64 for the Live API's bytes fields (audio and image blobs): encodes standard base64 with
// padding, decodes standard or URL-safe, padded or not (as proto3 JSON allows). Hot path on io:
// one 20 ms audio chunk per session every 20 ms, so both directions are table driven and
// allocate only the output. Pure functions, any context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::protocol {

// Number of base64 characters for `size_bytes` bytes, with padding.
[[nodiscard]] constexpr std::size_t base64_encoded_size(std::size_t size_bytes) noexcept {
    return (size_bytes + 2) / 3 * 4;
}

// Appends the standard, padded base64 of `bytes` to `out`.
void base64_encode_append(std::span<const std::uint8_t> bytes, std::string& out);

// The standard, padded base64 of `bytes`.
[[nodiscard]] std::string base64_encode(std::span<const std::uint8_t> bytes);

// Where decoding failed: the offset of the first offending character in the input.
struct Base64Failure {
    std::size_t offset = 0;
};

// Decodes `text` into `out` (replacing its contents). Accepts the standard and URL-safe
// alphabets, with or without '=' padding. Returns the failure position on bad input (a
// character outside the alphabet, padding in the middle, or a dangling single character).
[[nodiscard]] std::optional<Base64Failure> base64_decode(std::string_view text,
                                                         std::vector<std::uint8_t>& out);

}  // namespace parley::protocol
