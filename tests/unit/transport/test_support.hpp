// SPDX-License-Identifier: Apache-2.0
// Helpers for the transport tests: a throwaway PKI made with the openssl CLI at test time, raw
// POSIX sockets to play a misbehaving peer, and a blocking wait on a promise with a bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <string>

namespace parley::transport::testing {

// A CA, a server certificate it signed (SAN: localhost, generativelanguage.googleapis.com), and a
// second, self-signed "rogue" certificate for the same names that no test trusts.
struct TestPki {
    std::string dir;
    std::string ca_cert;
    std::string server_cert;
    std::string server_key;
    std::string rogue_cert;
    std::string rogue_key;
};
// Made once per process in a temp dir; aborts the test run if openssl fails.
const TestPki& test_pki();

// A listening TCP socket on 127.0.0.1 with a picked port.
struct RawListener {
    RawListener();
    ~RawListener();
    int accept_one() const;  // blocking accept; returns the fd
    int fd = -1;
    std::uint16_t port = 0;
};

// Connects to 127.0.0.1:port; returns the fd or -1.
int raw_connect(std::uint16_t port);
bool raw_send(int fd, const std::string& bytes);
// Reads until `until` appears (or EOF / 5 s); returns what was read.
std::string raw_read_until(int fd, const std::string& until);
void raw_close(int fd);
// A masked client frame (FIN set) with `opcode` and `payload`; `declared_length` overrides the
// length field (to send a truncated frame).
std::string client_frame(int opcode, const std::string& payload,
                         std::uint64_t declared_length = ~0ull);
// A raw WebSocket client handshake on `fd` for `target`; true when the 101 came back.
bool raw_ws_handshake(int fd, const std::string& target);

template <class T>
T wait_for(std::future<T>& future, std::chrono::seconds limit = std::chrono::seconds(20)) {
    if (future.wait_for(limit) != std::future_status::ready) {
        throw std::runtime_error("timed out waiting for a transport event");
    }
    return future.get();
}

}  // namespace parley::transport::testing
