// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the Live API decoders: feeds every input to decode_client_message and
// decode_server_message, re-encodes what decodes, and checks that the re-encoded text decodes
// again to the same text (encode is a fixed point after one decode). Seeds:
// fuzz/corpus/fuzz_protocol_decoder/seed_*.json.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/codec.hpp"

namespace {

template <typename Decode, typename Encode>
void check_round_trip(std::string_view input, Decode decode, Encode encode) {
    auto first = decode(input);
    if (!first) {
        // Every failure carries a code and a message naming where it happened.
        if (first.error().message.empty() || !first.error().error_code())
            __builtin_trap();
        return;
    }
    const std::string once = encode(*first);
    auto second = decode(once);
    if (!second)
        __builtin_trap();  // we emitted something we cannot read back
    if (encode(*second) != once)
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace parley::protocol;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_round_trip(
        input, [](std::string_view text) { return decode_client_message(text); },
        [](const ClientMessage& m) { return encode_client_message(m); });
    check_round_trip(
        input, [](std::string_view text) { return decode_server_message(text); },
        [](const ServerMessage& m) { return encode_server_message(m); });
    return 0;
}
