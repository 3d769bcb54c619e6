// SPDX-License-Identifier: Apache-2.0
// FaultProxy: a loopback-only WebSocket proxy for tests. It forwards the upgrade and then whole
// WebSocket frames both ways between a client and one server port, and, on a schedule drawn from
// a seed, delays frames, drops every connection (TCP reset), truncates a frame (then drops) and
// corrupts a data frame's payload. Runs on its own thread (Boost.Asio); any thread may call it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace parley::test {

// What the proxy does to the traffic. Probabilities are per data frame, in [0, 1].
struct FaultPlan {
    std::uint64_t seed = 1;
    // Every connection is cut (TCP reset both ways) after about this long (uniform in 0.75x ..
    // 1.25x, from the seed), again and again; 0: never.
    std::chrono::milliseconds drop_every{0};
    double delay_probability = 0;  // hold a frame (and the ones behind it) up to max_delay
    std::chrono::milliseconds max_delay{0};
    double corrupt_probability = 0;   // one payload byte becomes 0xFF (not UTF-8, not JSON)
    double truncate_probability = 0;  // forward part of the frame, then cut the connection
    bool faults_up = true;            // faults on client -> server frames
    bool faults_down = true;          // faults on server -> client frames
    bool record_up_frames = false;    // keep when each client -> server data frame arrived
};

// One client -> server data frame as the proxy read it (FaultPlan::record_up_frames).
struct FrameRecord {
    std::uint64_t connection = 0;  // 1, 2, ... in accept order
    std::chrono::steady_clock::time_point at{};
    std::size_t bytes = 0;
};

struct FaultStats {
    std::uint64_t connections = 0;  // accepted
    std::uint64_t drops = 0;        // connections cut (scheduled, truncated or drop_connections)
    std::uint64_t refused = 0;      // reset at once (refuse_connections)
    std::uint64_t frames_up = 0;    // forwarded client -> server (after the upgrade)
    std::uint64_t frames_down = 0;
    std::uint64_t bytes_up = 0;
    std::uint64_t bytes_down = 0;
    std::uint64_t delayed = 0;
    std::uint64_t corrupted = 0;
    std::uint64_t truncated = 0;
};

class FaultProxy {
public:
    // Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:`target_port`.
    [[nodiscard]] static Result<std::unique_ptr<FaultProxy>> start(std::uint16_t target_port,
                                                                   FaultPlan plan);
    // Cuts every connection and stops the thread.
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] std::string url() const;  // "ws://127.0.0.1:PORT"
    // Cuts every open connection now (TCP reset to both peers).
    void drop_connections();
    // While true, new connections are accepted and reset at once (the server seems down).
    void refuse_connections(bool refuse);
    [[nodiscard]] FaultStats stats() const;
    // The recorded client -> server data frames so far, in arrival order.
    [[nodiscard]] std::vector<FrameRecord> up_frames() const;

    struct Impl;

private:
    explicit FaultProxy(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace parley::test
