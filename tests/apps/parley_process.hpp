// SPDX-License-Identifier: Apache-2.0
// Runs the built `parley` binary (path compiled in as PARLEY_BINARY) as a child process for the
// tests in tests/apps, with its stdout and stderr captured apart and the API-key variables
// removed (so it picks the in-process local server). Test code only; blocks the calling thread.
#pragma once

#include <string>
#include <vector>

namespace parley::test {

struct ProcessResult {
    int exit_code = -1;  // -1: did not exit normally (signal, could not start)
    std::string out;
    std::string err;
};

// Runs `parley <arguments...>` to completion; its stdout and stderr go through files in
// `work_dir`. Give it absolute paths. `environment` entries ("NAME=value") are added, replacing
// inherited ones of the same name.
[[nodiscard]] ProcessResult run_parley(const std::vector<std::string>& arguments,
                                       const std::string& work_dir,
                                       const std::vector<std::string>& environment = {});

// The lines of `text` (without their newlines), empty lines dropped.
[[nodiscard]] std::vector<std::string> lines_of(const std::string& text);

// A fresh empty directory under the system's temporary directory, named after `name`.
[[nodiscard]] std::string fresh_directory(const std::string& name);

}  // namespace parley::test
