// SPDX-License-Identifier: Apache-2.0
#include "test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "support/test_ca.hpp"

namespace parley::transport::testing {

const TestPki& test_pki() {
    static const test::TestCa ca("transport");
    static const TestPki pki = [] {
        const std::string names = "DNS:localhost,DNS:generativelanguage.googleapis.com";
        const auto server = ca.issue("server", names);
        const auto rogue = ca.self_signed("rogue", names);
        return TestPki{ca.dir(), ca.cert(), server.cert, server.key, rogue.cert, rogue.key};
    }();
    return pki;
}

RawListener::RawListener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
        throw std::runtime_error("RawListener: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
}

RawListener::~RawListener() {
    if (fd >= 0)
        ::close(fd);
}

int RawListener::accept_one() const {
    return ::accept(fd, nullptr, nullptr);
}

int raw_connect(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool raw_send(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

std::string raw_read_until(int fd, const std::string& until) {
    std::string data;
    char buf[4096];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (data.find(until) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        data.append(buf, static_cast<std::size_t>(n));
    }
    return data;
}

void raw_close(int fd) {
    if (fd >= 0)
        ::close(fd);
}

std::string client_frame(int opcode, const std::string& payload, std::uint64_t declared_length) {
    std::uint64_t length = declared_length == ~0ull ? payload.size() : declared_length;
    std::string frame;
    frame += static_cast<char>(0x80 | opcode);
    if (length < 126) {
        frame += static_cast<char>(0x80 | length);
    } else if (length < 65536) {
        frame += static_cast<char>(0x80 | 126);
        frame += static_cast<char>((length >> 8) & 0xFF);
        frame += static_cast<char>(length & 0xFF);
    } else {
        frame += static_cast<char>(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            frame += static_cast<char>((length >> shift) & 0xFF);
    }
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    for (unsigned char m : mask) frame += static_cast<char>(m);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        frame += static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i % 4]);
    }
    return frame;
}

bool raw_ws_handshake(int fd, const std::string& target) {
    std::string request =
        "GET " + target +
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (!raw_send(fd, request))
        return false;
    std::string answer = raw_read_until(fd, "\r\n\r\n");
    return answer.rfind("HTTP/1.1 101", 0) == 0;
}

}  // namespace parley::transport::testing
