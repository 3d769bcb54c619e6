// SPDX-License-Identifier: Apache-2.0
#include "base/log.hpp"

#include <gtest/gtest.h>

namespace parley::log {
namespace {

TEST(Redact, MasksApiKeysAndTokens) {
    const std::string key = "AIzaSyA1234567890abcdefghijklmnopqrstu";
    EXPECT_EQ(redact("using " + key + " now"), "using <redacted> now");
    EXPECT_EQ(redact("Bearer ya29.a0AfH6SMBx-y_z"), "Bearer <redacted>");
    EXPECT_EQ(redact("token auth_tokens/abc123.def"), "token <redacted>");
    EXPECT_EQ(redact("refresh 1//0gAbCdEfGhIjKlMn"), "refresh <redacted>");
}

TEST(Redact, MasksQueryParametersButKeepsTheirNames) {
    EXPECT_EQ(redact("GET /ws/x?key=secret-value&alt=1"), "GET /ws/x?key=<redacted>&alt=1");
    EXPECT_EQ(redact("?access_token=abc"), "?access_token=<redacted>");
}

TEST(Redact, LeavesOrdinaryTextAlone) {
    EXPECT_EQ(redact("what time is it"), "what time is it");
    EXPECT_EQ(redact(""), "");
}

TEST(Level, ParsesKnownNamesOnly) {
    Level level = Level::kInfo;
    EXPECT_TRUE(parse_level("debug", level));
    EXPECT_EQ(level, Level::kDebug);
    EXPECT_FALSE(parse_level("loud", level));
    EXPECT_EQ(level, Level::kDebug);
}

}  // namespace
}  // namespace parley::log
