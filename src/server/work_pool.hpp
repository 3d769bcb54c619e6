// SPDX-License-Identifier: Apache-2.0
// WorkPool: the server's pool of "work" threads for blocking engines (recognition, synthesis,
// brain calls), so they never run on io. WorkQueue runs one session's tasks in order on the pool
// without holding a thread between tasks, so one slow session never stalls another.
// Threads are started at construction and joined at destruction; tasks still queued then are run.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::server {

class WorkPool {
public:
    using Task = std::function<void()>;

    // `threads` >= 1. `nice_increment` > 0 lowers the workers' scheduling priority (Linux), so an
    // in-process server never competes with the client's dsp thread.
    explicit WorkPool(std::size_t threads, int nice_increment = 0);
    ~WorkPool();
    WorkPool(const WorkPool&) = delete;
    WorkPool& operator=(const WorkPool&) = delete;

    // Queues `task` to run on some worker. Any thread.
    void post(Task task);

    [[nodiscard]] std::size_t thread_count() const { return threads_.size(); }

private:
    void run(int nice_increment);

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Task> tasks_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// Runs its tasks one at a time, in the order posted, on a WorkPool. Any thread may post.
// Lives in a shared_ptr: a queued drain keeps the queue alive until it has run.
class WorkQueue : public std::enable_shared_from_this<WorkQueue> {
public:
    explicit WorkQueue(WorkPool& pool) : pool_(pool) {}

    void post(WorkPool::Task task);

private:
    void drain();

    WorkPool& pool_;
    std::mutex mutex_;
    std::deque<WorkPool::Task> tasks_;
    bool running_ = false;
};

}  // namespace parley::server
