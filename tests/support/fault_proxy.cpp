// SPDX-License-Identifier: Apache-2.0
#include "support/fault_proxy.hpp"

#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio.hpp>

namespace parley::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadBytes = 16 * 1024;

// The size of the WebSocket frame at the start of `bytes` (RFC 6455 §5.2), or 0 when its
// header is not complete yet. `payload_at` receives where the payload starts.
std::size_t frame_size(const std::string& bytes, std::size_t& payload_at, bool& masked) {
    if (bytes.size() < 2)
        return 0;
    const auto b1 = static_cast<unsigned char>(bytes[1]);
    masked = (b1 & 0x80) != 0;
    std::uint64_t length = b1 & 0x7f;
    std::size_t at = 2;
    if (length == 126 || length == 127) {
        const std::size_t extra = length == 126 ? 2 : 8;
        if (bytes.size() < at + extra)
            return 0;
        length = 0;
        for (std::size_t i = 0; i < extra; ++i)
            length = (length << 8) | static_cast<unsigned char>(bytes[at + i]);
        at += extra;
    }
    if (masked)
        at += 4;
    if (bytes.size() < at)
        return 0;
    payload_at = at;
    return at + static_cast<std::size_t>(length);
}

}  // namespace

struct FaultProxy::Impl {
    struct Link;

    struct Chunk {
        std::string bytes;
        Clock::time_point ready{};
        bool cut_after = false;  // a truncated frame: the connection ends after it
    };

    struct Pipe {
        Pipe(asio::io_context& io, tcp::socket& from_in, tcp::socket& to_in, bool up_in,
             std::uint64_t seed)
            : from(from_in), to(to_in), up(up_in), timer(io), rng(seed) {}
        tcp::socket& from;
        tcp::socket& to;
        bool up;
        std::array<char, kReadBytes> buffer{};
        std::string pending;
        bool upgraded = false;  // the HTTP upgrade went through; frames follow
        std::deque<Chunk> out;
        bool writing = false;
        bool done_reading = false;
        asio::steady_timer timer;
        std::mt19937_64 rng;
    };

    struct Link : std::enable_shared_from_this<Link> {
        Link(Impl& proxy_in, tcp::socket client_in, std::uint64_t number_in)
            : proxy(proxy_in),
              number(number_in),
              client(std::move(client_in)),
              server(proxy_in.io),
              up(proxy_in.io, client, server, true, proxy_in.plan.seed * 1000003 + number_in * 2),
              down(proxy_in.io, server, client, false,
                   proxy_in.plan.seed * 1000003 + number_in * 2 + 1) {}

        Impl& proxy;
        std::uint64_t number;
        tcp::socket client;
        tcp::socket server;
        Pipe up;
        Pipe down;
        bool dead = false;

        void start() {
            server.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), proxy.target_port),
                                 [self = shared_from_this()](boost::system::error_code ec) {
                                     if (ec) {
                                         self->close(/*reset=*/true);
                                         return;
                                     }
                                     self->read(self->up);
                                     self->read(self->down);
                                 });
        }

        void read(Pipe& pipe) {
            pipe.from.async_read_some(
                asio::buffer(pipe.buffer),
                [self = shared_from_this(), &pipe](boost::system::error_code ec, std::size_t n) {
                    if (self->dead)
                        return;
                    if (ec) {
                        pipe.done_reading = true;
                        self->write(pipe);
                        return;
                    }
                    pipe.pending.append(pipe.buffer.data(), n);
                    self->split(pipe);
                    self->write(pipe);
                    if (!self->dead)
                        self->read(pipe);
                });
        }

        // Moves whole units (the upgrade, then frames) from `pending` to the out queue.
        void split(Pipe& pipe) {
            if (!pipe.upgraded) {
                const auto end = pipe.pending.find("\r\n\r\n");
                if (end == std::string::npos)
                    return;
                pipe.out.push_back({pipe.pending.substr(0, end + 4), Clock::now(), false});
                pipe.pending.erase(0, end + 4);
                pipe.upgraded = true;
            }
            for (;;) {
                std::size_t payload_at = 0;
                bool masked = false;
                const auto size = frame_size(pipe.pending, payload_at, masked);
                if (size == 0 || pipe.pending.size() < size)
                    return;
                Chunk chunk{pipe.pending.substr(0, size), Clock::now(), false};
                pipe.pending.erase(0, size);
                const auto opcode = static_cast<unsigned char>(chunk.bytes[0]) & 0x0f;
                (pipe.up ? proxy.frames_up : proxy.frames_down) += 1;
                (pipe.up ? proxy.bytes_up : proxy.bytes_down) += size;
                if (opcode <= 2 && pipe.up && proxy.plan.record_up_frames) {
                    std::lock_guard lock(proxy.records_mutex);
                    proxy.records.push_back({number, Clock::now(), size});
                }
                if (opcode <= 2)
                    apply_faults(pipe, chunk, payload_at, masked);
                pipe.out.push_back(std::move(chunk));
            }
        }

        void apply_faults(Pipe& pipe, Chunk& chunk, std::size_t payload_at, bool masked) {
            // Four draws per data frame whatever happens, so a seed replays the same schedule.
            std::uniform_real_distribution<double> unit(0.0, 1.0);
            const double truncate = unit(pipe.rng);
            const double corrupt = unit(pipe.rng);
            const double delay = unit(pipe.rng);
            const double delay_share = unit(pipe.rng);
            const auto& plan = proxy.plan;
            if (!(pipe.up ? plan.faults_up : plan.faults_down))
                return;
            const std::size_t payload = chunk.bytes.size() - payload_at;
            if (truncate < plan.truncate_probability) {
                chunk.bytes.resize(payload_at + payload / 2);
                chunk.cut_after = true;
                ++proxy.truncated;
                return;
            }
            if (corrupt < plan.corrupt_probability && payload > 0) {
                const std::size_t at = payload_at + payload / 2;
                // The unmasked byte becomes 0xFF, which is neither UTF-8 nor JSON.
                const unsigned char mask =
                    masked ? static_cast<unsigned char>(
                                 chunk.bytes[payload_at - 4 + (payload / 2) % 4])
                           : 0;
                chunk.bytes[at] = static_cast<char>(0xFF ^ mask);
                ++proxy.corrupted;
            }
            if (delay < plan.delay_probability && plan.max_delay.count() > 0) {
                chunk.ready = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                 plan.max_delay * delay_share);
                ++proxy.delayed;
            }
        }

        void write(Pipe& pipe) {
            if (dead || pipe.writing)
                return;
            if (pipe.out.empty()) {
                if (pipe.done_reading) {
                    boost::system::error_code ignored;
                    pipe.to.shutdown(tcp::socket::shutdown_send, ignored);
                    Pipe& other = pipe.up ? down : up;
                    if (other.done_reading && other.out.empty())
                        close(/*reset=*/false);
                }
                return;
            }
            auto& front = pipe.out.front();
            if (front.ready > Clock::now()) {
                pipe.writing = true;
                pipe.timer.expires_at(front.ready);
                pipe.timer.async_wait(
                    [self = shared_from_this(), &pipe](boost::system::error_code) {
                        pipe.writing = false;
                        self->write(pipe);
                    });
                return;
            }
            pipe.writing = true;
            asio::async_write(
                pipe.to, asio::buffer(front.bytes),
                [self = shared_from_this(), &pipe](boost::system::error_code ec, std::size_t) {
                    pipe.writing = false;
                    if (self->dead)
                        return;
                    if (ec) {
                        self->close(/*reset=*/true);
                        return;
                    }
                    const bool cut = pipe.out.front().cut_after;
                    pipe.out.pop_front();
                    if (cut) {
                        self->close(/*reset=*/true);
                        return;
                    }
                    self->write(pipe);
                });
        }

        // `reset`: a dropped connection (RST to both peers); else both directions ended.
        void close(bool reset) {
            if (dead)
                return;
            dead = true;
            if (reset)
                ++proxy.drops;
            boost::system::error_code ignored;
            for (auto* socket : {&client, &server}) {
                if (reset)
                    socket->set_option(asio::socket_base::linger(true, 0), ignored);
                socket->close(ignored);
            }
            up.timer.cancel();
            down.timer.cancel();
            proxy.links.erase(number);
        }
    };

    Impl(std::uint16_t target, FaultPlan plan_in)
        : plan(plan_in), target_port(target), acceptor(io), drop_timer(io), rng(plan_in.seed) {}

    void accept() {
        acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec)
                return;
            if (refusing) {
                boost::system::error_code ignored;
                socket.set_option(asio::socket_base::linger(true, 0), ignored);
                socket.close(ignored);
                ++refused;
                accept();
                return;
            }
            const auto number = ++connections;
            auto link = std::make_shared<Link>(*this, std::move(socket), number);
            links[number] = link;
            link->start();
            accept();
        });
    }

    void schedule_drop() {
        if (plan.drop_every.count() <= 0)
            return;
        std::uniform_real_distribution<double> spread(0.75, 1.25);
        drop_timer.expires_after(
            std::chrono::duration_cast<Clock::duration>(plan.drop_every * spread(rng)));
        drop_timer.async_wait([this](boost::system::error_code ec) {
            if (ec)
                return;
            drop_all();
            schedule_drop();
        });
    }

    void drop_all() {
        auto current = links;  // close() erases from `links`
        for (auto& [number, link] : current) link->close(/*reset=*/true);
    }

    FaultPlan plan;
    std::uint16_t target_port;
    asio::io_context io;
    tcp::acceptor acceptor;
    asio::steady_timer drop_timer;
    std::mt19937_64 rng;
    std::map<std::uint64_t, std::shared_ptr<Link>> links;  // io only
    std::thread thread;
    mutable std::mutex records_mutex;
    std::vector<FrameRecord> records;  // guarded by records_mutex
    std::atomic<bool> refusing{false};
    std::atomic<std::uint64_t> refused{0};
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> drops{0};
    std::atomic<std::uint64_t> frames_up{0};
    std::atomic<std::uint64_t> frames_down{0};
    std::atomic<std::uint64_t> bytes_up{0};
    std::atomic<std::uint64_t> bytes_down{0};
    std::atomic<std::uint64_t> delayed{0};
    std::atomic<std::uint64_t> corrupted{0};
    std::atomic<std::uint64_t> truncated{0};
};

Result<std::unique_ptr<FaultProxy>> FaultProxy::start(std::uint16_t target_port, FaultPlan plan) {
    auto impl = std::make_unique<Impl>(target_port, plan);
    boost::system::error_code ec;
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        impl->acceptor.bind(endpoint, ec);
    if (!ec)
        impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return tl::unexpected(std::error_code(ec.value(), std::system_category()));
    impl->accept();
    impl->schedule_drop();
    auto* raw = impl.get();
    raw->thread = std::thread([raw] { raw->io.run(); });
    return std::unique_ptr<FaultProxy>(new FaultProxy(std::move(impl)));
}

FaultProxy::FaultProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FaultProxy::~FaultProxy() {
    asio::post(impl_->io, [impl = impl_.get()] {
        boost::system::error_code ignored;
        impl->acceptor.close(ignored);
        impl->drop_timer.cancel();
        impl->drop_all();
        impl->io.stop();
    });
    impl_->thread.join();
}

std::uint16_t FaultProxy::port() const {
    return impl_->acceptor.local_endpoint().port();
}

std::string FaultProxy::url() const {
    return "ws://127.0.0.1:" + std::to_string(port());
}

void FaultProxy::drop_connections() {
    std::promise<void> done;
    auto future = done.get_future();
    asio::post(impl_->io, [impl = impl_.get(), &done] {
        impl->drop_all();
        done.set_value();
    });
    future.wait();
}

void FaultProxy::refuse_connections(bool refuse) {
    impl_->refusing = refuse;
}

std::vector<FrameRecord> FaultProxy::up_frames() const {
    std::lock_guard lock(impl_->records_mutex);
    return impl_->records;
}

FaultStats FaultProxy::stats() const {
    FaultStats stats;
    stats.connections = impl_->connections.load();
    stats.drops = impl_->drops.load();
    stats.refused = impl_->refused.load();
    stats.frames_up = impl_->frames_up.load();
    stats.frames_down = impl_->frames_down.load();
    stats.bytes_up = impl_->bytes_up.load();
    stats.bytes_down = impl_->bytes_down.load();
    stats.delayed = impl_->delayed.load();
    stats.corrupted = impl_->corrupted.load();
    stats.truncated = impl_->truncated.load();
    return stats;
}

}  // namespace parley::test
