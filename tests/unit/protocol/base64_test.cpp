// SPDX-License-Identifier: Apache-2.0
// Base64: RFC 4648 test vectors, URL-safe and unpadded input, error offsets, and a round trip
// over every length and byte value.
#include "protocol/base64.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace parley::protocol {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

TEST(Base64Test, Rfc4648Vectors) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        SCOPED_TRACE(plain);
        EXPECT_EQ(base64_encode(bytes(plain)), encoded);
        std::vector<std::uint8_t> out = {42};
        EXPECT_FALSE(base64_decode(encoded, out));
        EXPECT_EQ(out, bytes(plain));
    }
}

TEST(Base64Test, AcceptsUrlSafeAndUnpadded) {
    std::vector<std::uint8_t> out;
    EXPECT_FALSE(base64_decode("_9j_4A", out));
    EXPECT_EQ(out, (std::vector<std::uint8_t>{0xff, 0xd8, 0xff, 0xe0}));
    EXPECT_FALSE(base64_decode("Zm9vYg", out));
    EXPECT_EQ(out, bytes("foob"));
}

TEST(Base64Test, ReportsOffsetOfFirstBadCharacter) {
    std::vector<std::uint8_t> out;
    struct Case {
        const char* text;
        std::size_t offset;
    };
    for (const Case& c : {Case{"Zm9v!mFy", 4}, Case{"Zm9vY", 4}, Case{"Zm=vYmFy", 2},
                          Case{"Zm9vYg=", 6}, Case{"Zm9v YmFy", 4}, Case{"Zg===", 2}}) {
        SCOPED_TRACE(c.text);
        const auto bad = base64_decode(c.text, out);
        ASSERT_TRUE(bad);
        EXPECT_EQ(bad->offset, c.offset);
    }
}

TEST(Base64Test, RoundTripsAllLengthsAndByteValues) {
    std::vector<std::uint8_t> data;
    for (int n = 0; n < 600; ++n) {
        const std::string text = base64_encode(data);
        EXPECT_EQ(text.size(), base64_encoded_size(data.size()));
        std::vector<std::uint8_t> back;
        ASSERT_FALSE(base64_decode(text, back)) << n;
        ASSERT_EQ(back, data) << n;
        data.push_back(static_cast<std::uint8_t>(n * 97 + 13));
    }
}

TEST(Base64Test, AppendKeepsExistingText) {
    std::string out = "x:";
    base64_encode_append(bytes("foo"), out);
    EXPECT_EQ(out, "x:Zm9v");
}

}  // namespace
}  // namespace parley::protocol
