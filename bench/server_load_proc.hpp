// SPDX-License-Identifier: Apache-2.0
// ProcessStats: CPU time (whole process and per thread) and resident memory of a process, read
// from /proc, so the server load generator can tell the server's CPU use from its own. Linux
// only; called on the load generator's main thread between phases of a run.
#pragma once

#include <sys/types.h>
#include <map>
#include <optional>
#include <string>

namespace parley::bench {

struct CpuSnapshot {
    double process_seconds = 0;  // user + system, all threads
    // Per thread id: {name (comm), user + system seconds}.
    std::map<int, std::pair<std::string, double>> threads;
};

// nullopt when the process is gone or /proc cannot be read.
[[nodiscard]] std::optional<CpuSnapshot> read_cpu(pid_t pid);
// VmRSS in KiB; nullopt when unreadable.
[[nodiscard]] std::optional<long> read_rss_kib(pid_t pid);
// CPU seconds (user + system) used by this process so far.
[[nodiscard]] double own_cpu_seconds();
// "p% (thread #k (tid t) x%, ...)" for the busiest threads between two snapshots over `wall_s`;
// #k is the thread's creation order (#0 the main thread), since thread ids grow.
[[nodiscard]] std::string describe_cpu(const CpuSnapshot& before, const CpuSnapshot& after,
                                       double wall_s, std::size_t max_threads = 6);

}  // namespace parley::bench
