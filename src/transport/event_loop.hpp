// SPDX-License-Identifier: Apache-2.0
// EventLoop: owns one Asio io_context and the single **io** thread that runs it. Other threads
// hand work to io with post(); timers run callbacks on io after a delay and can be cancelled.
// The WebSocket client/server run on the loop they are given. Owned by the client session or the
// server (one per client, DESIGN.md "Threads"); all methods are thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "base/clock.hpp"

namespace parley::transport {

// Cancels a scheduled callback. Copyable; cancel() is thread-safe and idempotent. After cancel()
// returns on the io thread the callback will not run; from another thread it will not run
// unless it had already started.
class TimerHandle {
public:
    TimerHandle() = default;
    void cancel();
    // True until the callback ran or was cancelled.
    [[nodiscard]] bool pending() const;

    struct State;
    explicit TimerHandle(std::shared_ptr<State> state) : state_(std::move(state)) {}

private:
    std::shared_ptr<State> state_;
};

class EventLoop {
public:
    EventLoop();
    // Stops the loop and joins the io thread (must not be called on the io thread).
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Starts the io thread; idempotent. Work posted before start() runs once it starts.
    void start();
    // Stops the io thread and joins it; idempotent. Handlers not yet run are dropped (destroyed
    // on the next start() or in the destructor), and so is the paced task. Must not be called on
    // the io thread.
    void stop();
    [[nodiscard]] bool running() const;
    // True when called from this loop's io thread.
    [[nodiscard]] bool in_loop_thread() const;

    // Runs `fn` on the io thread soon. `fn` must not block (no engines, no waiting on futures).
    void post(std::function<void()> fn);
    // Runs `fn` on the io thread after `delay`, unless cancelled first through the handle
    // (which may be ignored for timers that are never cancelled).
    TimerHandle schedule(std::chrono::milliseconds delay, std::function<void()> fn);

    // Runs `task` on the io thread whenever it is due; it returns when it is due next (by the
    // steady clock). While a task is set, io does not wait on the network: it sleeps until the
    // task is due, runs the handlers that became ready meanwhile (messages, posts, timers), the
    // task, and the handlers the task made ready (its sends). So io wakes once per period
    // instead of once per message, and every event waits up to a period: for work that sets the
    // pace itself (a file streamed in real time), not for a sound card or a server. Replaces a
    // task set before.
    void set_paced_task(std::function<Clock::TimePoint()> task);
    // Removes the task. From another thread, it has stopped running when this returns.
    void clear_paced_task();

    // Internal: the transport .cpp files reach the io_context through this.
    struct Impl;
    [[nodiscard]] Impl& impl() { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace parley::transport
