// SPDX-License-Identifier: Apache-2.0
// proto3 JSON durations as the Live API sends them ("50s", "0.440s").
#include "protocol/duration.hpp"

#include <gtest/gtest.h>

namespace parley::protocol {
namespace {

using namespace std::chrono_literals;

TEST(DurationTest, ParsesProtoDurations) {
    EXPECT_EQ(parse_duration("50s"), Duration(50s));
    EXPECT_EQ(parse_duration("0.440s"), Duration(440ms));
    EXPECT_EQ(parse_duration("1.5s"), Duration(1500ms));
    EXPECT_EQ(parse_duration("0.000000001s"), Duration(1ns));
    EXPECT_EQ(parse_duration("-2.25s"), Duration(-2250ms));
    EXPECT_EQ(parse_duration("0s"), Duration(0));
}

TEST(DurationTest, RejectsMalformedText) {
    for (const char* bad : {"", "s", "50", "50 s", "5.s", ".5s", "1.0000000001s", "abc", "--1s",
                            "1e3s", "999999999999999999999s", "+1s"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(parse_duration(bad));
    }
}

TEST(DurationTest, FormatsLikeProtobuf) {
    EXPECT_EQ(format_duration(50s), "50s");
    EXPECT_EQ(format_duration(440ms), "0.440s");
    EXPECT_EQ(format_duration(std::chrono::microseconds(1000001)), "1.000001s");
    EXPECT_EQ(format_duration(1ns), "0.000000001s");
    EXPECT_EQ(format_duration(-500ms), "-0.500s");
    EXPECT_EQ(format_duration(Duration(0)), "0s");
    for (Duration d : {Duration(50s), Duration(440ms), Duration(123456789ns), Duration(-7s)}) {
        EXPECT_EQ(parse_duration(format_duration(d)), d);
    }
}

}  // namespace
}  // namespace parley::protocol
