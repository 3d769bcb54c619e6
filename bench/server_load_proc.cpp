// SPDX-License-Identifier: Apache-2.0
#include "server_load_proc.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace parley::bench {
namespace {

// Name and utime + stime (seconds) from a /proc/.../stat line; the name may hold spaces and
// parentheses, so fields are counted from the last ')'.
std::optional<std::pair<std::string, double>> read_stat(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line))
        return std::nullopt;
    const auto open = line.find('(');
    const auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open)
        return std::nullopt;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    // After the name: state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
    // cmajflt utime(14) stime(15).
    std::vector<std::string> fields;
    while (fields.size() < 13 && rest >> field) fields.push_back(field);
    if (fields.size() < 13)
        return std::nullopt;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double cpu = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
    return std::make_pair(line.substr(open + 1, close - open - 1), cpu);
}

}  // namespace

std::optional<CpuSnapshot> read_cpu(pid_t pid) {
    const std::string base = "/proc/" + std::to_string(pid);
    const auto process = read_stat(base + "/stat");
    if (!process)
        return std::nullopt;
    CpuSnapshot snapshot;
    snapshot.process_seconds = process->second;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base + "/task", ec)) {
        const auto tid = std::atoi(entry.path().filename().c_str());
        if (auto thread = read_stat(entry.path().string() + "/stat")) {
            snapshot.threads[tid] = *thread;
        }
    }
    return snapshot;
}

std::optional<long> read_rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("VmRSS:"))
            return std::stol(line.substr(6));
    }
    return std::nullopt;
}

double own_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string describe_cpu(const CpuSnapshot& before, const CpuSnapshot& after, double wall_s,
                         std::size_t max_threads) {
    if (wall_s <= 0)
        return "?";
    struct Use {
        int tid;
        std::size_t rank;  // creation order: 0 is the main thread
        std::string name;
        double pct;
    };
    std::vector<Use> uses;
    std::size_t rank = 0;
    for (const auto& [tid, thread] : after.threads) {  // a map: ascending thread ids
        const auto it = before.threads.find(tid);
        const double used = thread.second - (it == before.threads.end() ? 0.0 : it->second.second);
        uses.push_back({tid, rank++, thread.first, 100.0 * used / wall_s});
    }
    std::sort(uses.begin(), uses.end(), [](const Use& a, const Use& b) { return a.pct > b.pct; });
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%.0f%%",
                  100.0 * (after.process_seconds - before.process_seconds) / wall_s);
    std::string out = buffer;
    out += " (";
    for (std::size_t i = 0; i < uses.size() && i < max_threads; ++i) {
        std::snprintf(buffer, sizeof buffer, "%sthread #%zu (tid %d) %.0f%%", i == 0 ? "" : ", ",
                      uses[i].rank, uses[i].tid, uses[i].pct);
        out += buffer;
    }
    out += ")";
    return out;
}

}  // namespace parley::bench
