// SPDX-License-Identifier: Apache-2.0
// run_parley (see parley_process.hpp): posix_spawn with stdout and stderr sent to files.
#include "parley_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace parley::test {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool is_api_key_variable(const char* entry) {
    for (const char* name : {"GEMINI_API_KEY=", "GOOGLE_API_KEY=", "GOOGLE_GENAI_USE_VERTEXAI="}) {
        if (std::strncmp(entry, name, std::strlen(name)) == 0)
            return true;
    }
    return false;
}

}  // namespace

ProcessResult run_parley(const std::vector<std::string>& arguments, const std::string& work_dir,
                         const std::vector<std::string>& environment) {
    ProcessResult result;
    const std::string out_path = work_dir + "/.parley.stdout";
    const std::string err_path = work_dir + "/.parley.stderr";

    std::vector<std::string> argv_storage{PARLEY_BINARY};
    argv_storage.insert(argv_storage.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& argument : argv_storage) argv.push_back(argument.data());
    argv.push_back(nullptr);
    std::vector<std::string> extra = environment;
    const auto overridden = [&](const char* entry) {
        for (const auto& e : extra) {
            const auto name_end = e.find('=') + 1;
            if (std::strncmp(entry, e.c_str(), name_end) == 0)
                return true;
        }
        return false;
    };
    std::vector<char*> envp;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        if (!is_api_key_variable(*entry) && !overridden(*entry))
            envp.push_back(*entry);
    }
    for (auto& e : extra) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        result.err = std::string("cannot start ") + PARLEY_BINARY + ": " + std::strerror(spawned);
        return result;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status))
        result.exit_code = WEXITSTATUS(status);
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    return result;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty())
            lines.push_back(line);
    }
    return lines;
}

std::string fresh_directory(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("parley-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

}  // namespace parley::test
