// SPDX-License-Identifier: Apache-2.0
// EventLoop: one io_context, one thread, a work guard so run() waits for posted work. With a
// paced task the thread polls the io_context between the task's runs instead of running it.
#include "transport/event_loop.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp forgets it

#include <atomic>
#include <condition_variable>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/check.hpp"
#include "base/log.hpp"
#include "base/thread_name.hpp"
#include "transport/internal.hpp"

namespace net = boost::asio;

namespace parley::transport {

struct EventLoop::Impl {
    net::io_context ioc{1};
    std::mutex mutex;  // guards thread and guard (start/stop from any thread)
    std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
    std::thread thread;
    std::atomic<std::thread::id> thread_id{};

    std::mutex pace_mutex;  // guards the fields below
    std::condition_variable pace_changed;
    std::function<Clock::TimePoint()> paced_task;
    bool task_running = false;
    bool clear_after_run = false;  // clear_paced_task() from inside the task
    bool stopping = false;

    void run_thread();
    // Handlers are noexcept by contract; one that throws anyway is logged, and the loop goes on
    // rather than taking the process down.
    template <typename Run>
    void run_handlers(Run run) {
        for (;;) {
            try {
                run();
                return;
            } catch (const std::exception& e) {
                log::error("transport: an io handler threw: {}", e.what());
            } catch (...) {
                log::error("transport: an io handler threw a non-exception");
            }
        }
    }
};

void EventLoop::Impl::run_thread() {
    std::unique_lock lock(pace_mutex);
    while (!stopping) {
        if (ioc.stopped())
            ioc.restart();  // under the lock: a stop() after it is not lost
        if (!paced_task) {
            lock.unlock();
            // Until stop() or set_paced_task() stops the io_context.
            run_handlers([this] { ioc.run(); });
            lock.lock();
            continue;
        }
        lock.unlock();
        run_handlers([this] { ioc.poll(); });
        lock.lock();
        if (stopping || !paced_task)
            continue;
        task_running = true;
        lock.unlock();
        const auto due = paced_task();
        lock.lock();
        task_running = false;
        if (std::exchange(clear_after_run, false))
            paced_task = nullptr;
        pace_changed.notify_all();
        lock.unlock();
        if (ioc.stopped())
            ioc.restart();
        run_handlers([this] { ioc.poll(); });
        lock.lock();
        pace_changed.wait_until(lock, due, [this] { return stopping || !paced_task; });
    }
}

struct TimerHandle::State {
    explicit State(net::io_context& ioc) : timer(ioc) {}
    net::steady_timer timer;  // touched only on io
    std::atomic<bool> cancelled{false};
    std::atomic<bool> done{false};
    std::mutex fn_mutex;
    std::function<void()> fn;
};

void TimerHandle::cancel() {
    if (!state_)
        return;
    state_->cancelled = true;
    std::function<void()> dropped;
    {
        std::lock_guard lock(state_->fn_mutex);
        dropped = std::move(state_->fn);
        state_->fn = nullptr;
    }
    // The wait itself ends at its deadline; it only holds the small State until then.
}

bool TimerHandle::pending() const {
    return state_ && !state_->cancelled.load() && !state_->done.load();
}

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() {
    stop();
}

void EventLoop::start() {
    std::lock_guard lock(impl_->mutex);
    if (impl_->thread.joinable())
        return;
    impl_->ioc.restart();
    impl_->guard.emplace(impl_->ioc.get_executor());
    {
        std::lock_guard pace_lock(impl_->pace_mutex);
        impl_->stopping = false;
    }
    impl_->thread = std::thread([impl = impl_.get()] {
        impl->thread_id = std::this_thread::get_id();
        name_this_thread("parley-io");
        impl->run_thread();
        impl->thread_id = std::thread::id{};
    });
}

void EventLoop::stop() {
    std::thread thread;
    {
        std::lock_guard lock(impl_->mutex);
        if (!impl_->thread.joinable())
            return;
        PARLEY_DCHECK(!in_loop_thread());
        {
            std::lock_guard pace_lock(impl_->pace_mutex);
            impl_->stopping = true;
        }
        impl_->pace_changed.notify_all();
        impl_->guard.reset();
        impl_->ioc.stop();
        thread = std::move(impl_->thread);
    }
    thread.join();
    std::lock_guard pace_lock(impl_->pace_mutex);
    impl_->paced_task = nullptr;  // like the handlers not run: a restart does not run it
}

bool EventLoop::running() const {
    // Also true while a stopping io thread finishes its last handler.
    if (impl_->thread_id.load() != std::thread::id{})
        return true;
    std::lock_guard lock(impl_->mutex);
    return impl_->thread.joinable();
}

bool EventLoop::in_loop_thread() const {
    return impl_->thread_id.load() == std::this_thread::get_id();
}

void EventLoop::post(std::function<void()> fn) {
    net::post(impl_->ioc, std::move(fn));
}

TimerHandle EventLoop::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
    auto state = std::make_shared<TimerHandle::State>(impl_->ioc);
    state->fn = std::move(fn);
    // Arm on io: a steady_timer is not thread-safe, and only io touches it.
    net::post(impl_->ioc, [state, delay] {
        if (state->cancelled)
            return;
        state->timer.expires_after(delay);
        state->timer.async_wait([state](const boost::system::error_code&) {
            std::function<void()> fn;
            {
                std::lock_guard lock(state->fn_mutex);
                if (state->cancelled)
                    return;
                fn = std::move(state->fn);
                state->fn = nullptr;
            }
            state->done = true;
            if (fn)
                fn();
        });
    });
    return TimerHandle(std::move(state));
}

void EventLoop::set_paced_task(std::function<Clock::TimePoint()> task) {
    {
        std::unique_lock lock(impl_->pace_mutex);
        PARLEY_DCHECK(!(impl_->task_running && in_loop_thread()));  // not from inside the task
        impl_->pace_changed.wait(lock, [this] { return !impl_->task_running; });
        impl_->paced_task = std::move(task);
        impl_->clear_after_run = false;
    }
    impl_->ioc.stop();  // out of run(): the io thread polls from now on
}

void EventLoop::clear_paced_task() {
    std::unique_lock lock(impl_->pace_mutex);
    if (impl_->task_running && in_loop_thread()) {
        impl_->clear_after_run = true;  // from inside the task
        return;
    }
    impl_->pace_changed.wait(lock, [this] { return !impl_->task_running; });
    impl_->paced_task = nullptr;
    lock.unlock();
    impl_->pace_changed.notify_all();
}

namespace detail {
net::io_context& io_context_of(EventLoop& loop) {
    return loop.impl().ioc;
}
}  // namespace detail

}  // namespace parley::transport

namespace parley::transport::detail {

void run_on_io_and_wait(EventLoop& loop, const std::function<void(std::function<void()>)>& post,
                        std::function<void()> fn) {
    if (loop.in_loop_thread() || !loop.running()) {
        fn();
        return;
    }
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    auto shared_fn = std::make_shared<std::function<void()>>(std::move(fn));
    auto ran = std::make_shared<std::atomic<bool>>(false);
    post([done, shared_fn, ran] {
        if (!ran->exchange(true))
            (*shared_fn)();
        done->set_value();
    });
    // If the loop stops before it gets to our work, nothing runs on io any more: run it here.
    while (future.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
        if (!loop.running()) {
            if (!ran->exchange(true))
                (*shared_fn)();
            return;
        }
    }
}

}  // namespace parley::transport::detail
