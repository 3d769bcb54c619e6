// SPDX-License-Identifier: Apache-2.0
#include "server/work_pool.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/check.hpp"
#include "base/log.hpp"
#include "base/thread_name.hpp"

namespace parley::server {

WorkPool::WorkPool(std::size_t threads, int nice_increment) {
    PARLEY_DCHECK(threads >= 1);
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        threads_.emplace_back([this, nice_increment] { run(nice_increment); });
    }
}

WorkPool::~WorkPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
}

void WorkPool::post(Task task) {
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
}

void WorkPool::run(int nice_increment) {
    name_this_thread("parley-work");
    if (nice_increment > 0) {
        // Per-thread on Linux: setpriority on the thread id, not the process.
        const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
        if (::setpriority(PRIO_PROCESS, tid, nice_increment) != 0) {
            log::debug("work: could not lower worker priority");
        }
    }
    for (;;) {
        Task task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            if (tasks_.empty()) return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        task();
    }
}

void WorkQueue::post(WorkPool::Task task) {
    bool start = false;
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
        if (!running_) {
            running_ = true;
            start = true;
        }
    }
    if (start) pool_.post([self = shared_from_this()] { self->drain(); });
}

void WorkQueue::drain() {
    // Runs a bounded batch, then yields the worker so other sessions' queues get their turn.
    constexpr int kBatch = 4;
    for (int i = 0; i < kBatch; ++i) {
        WorkPool::Task task;
        {
            std::lock_guard lock(mutex_);
            if (tasks_.empty()) {
                running_ = false;
                return;
            }
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        task();
    }
    pool_.post([self = shared_from_this()] { self->drain(); });
}

}  // namespace parley::server
