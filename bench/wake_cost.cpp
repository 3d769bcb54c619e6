// SPDX-License-Identifier: Apache-2.0
// wake_cost: the CPU time a thread is charged for going to sleep and waking up again on this
// machine, the cost every `parley talk` thread pays each time it waits for audio or a message
// (BENCHMARKS.md "Client cost"). Three patterns, each in thread CPU time per cycle:
//   - a system call that does not sleep (getppid), the baseline;
//   - a timed sleep of --period-ms (the dsp thread waiting for the next device block);
//   - a wakeup by another thread through an eventfd after --period-ms (the io thread woken for
//     an outgoing message or by the network).
// On bare metal a wakeup costs a few microseconds; in a virtual machine whose idle CPUs halt,
// every wakeup from idle also pays for the exit from the halt.
//
//   wake_cost [--cycles N] [--period-ms MS]
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

namespace {

double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double syscall_us(int cycles) {
    const double start = thread_cpu_seconds();
    for (int i = 0; i < cycles; ++i) (void)syscall(SYS_getppid);
    return (thread_cpu_seconds() - start) / cycles * 1e6;
}

double timed_sleep_us(int cycles, std::chrono::milliseconds period) {
    const double start = thread_cpu_seconds();
    for (int i = 0; i < cycles; ++i) std::this_thread::sleep_for(period);
    return (thread_cpu_seconds() - start) / cycles * 1e6;
}

// CPU time of the woken thread per wakeup: it blocks in read() until the other thread, after a
// period of sleep, writes the eventfd.
double eventfd_wake_us(int cycles, std::chrono::milliseconds period) {
    const int fd = eventfd(0, EFD_CLOEXEC);
    if (fd < 0) {
        std::perror("wake_cost: eventfd");
        std::exit(1);
    }
    double woken_cpu = 0.0;
    std::thread woken([&] {
        const double start = thread_cpu_seconds();
        std::uint64_t value = 0;
        for (int i = 0; i < cycles; ++i) {
            if (read(fd, &value, sizeof value) != sizeof value)
                break;
        }
        woken_cpu = thread_cpu_seconds() - start;
    });
    for (int i = 0; i < cycles; ++i) {
        std::this_thread::sleep_for(period);
        const std::uint64_t one = 1;
        if (write(fd, &one, sizeof one) != sizeof one)
            break;
    }
    woken.join();
    close(fd);
    return woken_cpu / cycles * 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"CPU time per sleep and wakeup of a thread on this machine"};
    int cycles = 100;
    int period_ms = 40;
    app.add_option("--cycles", cycles, "Sleeps measured per pattern")->check(CLI::Range(1, 100000));
    app.add_option("--period-ms", period_ms, "How long each sleep lasts (a device block)")
        ->check(CLI::Range(1, 1000));
    CLI11_PARSE(app, argc, argv);

    const auto period = std::chrono::milliseconds(period_ms);
    const double base = syscall_us(100000);
    const double sleep = timed_sleep_us(cycles, period);
    const double wake = eventfd_wake_us(cycles, period);
    std::printf("system call (getppid):          %7.2f us CPU\n", base);
    std::printf("timed sleep of %4d ms, woken:   %7.2f us CPU per cycle (%.0fx a system call)\n",
                period_ms, sleep, sleep / base);
    std::printf("eventfd wakeup after %4d ms:    %7.2f us CPU per cycle (%.0fx a system call)\n",
                period_ms, wake, wake / base);
    return 0;
}
