// SPDX-License-Identifier: Apache-2.0
#include "base/check.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(CheckDeathTest, BrokenPreconditionAbortsWithTheExpression) {
    const int frames = 3;
    EXPECT_DEATH(PARLEY_DCHECK(frames == 160), "check failed: frames == 160");
}

TEST(Check, HoldingPreconditionDoesNothing) {
    const int frames = 160;
    PARLEY_DCHECK(frames == 160);
    SUCCEED();
}

}  // namespace
}  // namespace parley
