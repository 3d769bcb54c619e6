// SPDX-License-Identifier: Apache-2.0
// HttpClient against a local Beast HTTP(S) server run on a test thread.
#include "transport/http_client.hpp"

#include <utility>

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "test_support.hpp"
#include "transport/error.hpp"

namespace parley::transport::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

// Serves one connection at a time: /echo answers with method and body, /events streams three
// server-sent events as chunks (the 2nd and 3rd only after the client saw the previous one),
// /stall answers nothing until the client goes away.
class TestHttpServer {
public:
    explicit TestHttpServer(bool tls)
        : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
        if (tls) {
            tls_ = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
            tls_->use_certificate_chain_file(test_pki().server_cert);
            tls_->use_private_key_file(test_pki().server_key, net::ssl::context::pem);
        }
        port_ = acceptor_.local_endpoint().port();
        thread_ = std::thread([this] { serve(); });
    }
    ~TestHttpServer() {
        stopping_ = true;
        release_next_chunk();
        release_next_chunk();
        int fd = raw_connect(port_);  // wakes the blocking accept
        raw_close(fd);
        thread_.join();
    }
    std::uint16_t port() const { return port_; }
    // Lets /events send its next chunk.
    void release_next_chunk() {
        std::lock_guard lock(mutex_);
        ++released_;
        cv_.notify_all();
    }

private:
    void wait_released(int n) {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return released_ >= n || stopping_; });
    }

    template <class Stream>
    void handle(Stream& stream) {
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        beast::error_code ec;
        http::read(stream, buffer, req, ec);
        if (ec)
            return;
        std::string target(req.target());
        if (target == "/echo") {
            http::response<http::string_body> res{http::status::ok, 11};
            res.set("X-Test", "yes");
            res.body() = std::string(req.method_string()) + " " + req.body();
            res.prepare_payload();
            http::write(stream, res, ec);
        } else if (target == "/events") {
            std::string head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: "
                "chunked\r\n\r\n";
            net::write(stream, net::buffer(head), ec);
            for (int i = 1; i <= 3 && !ec; ++i) {
                if (i > 1)
                    wait_released(i - 1);
                std::string event = "data: " + std::to_string(i) + "\n\n";
                char size[16];
                std::snprintf(size, sizeof size, "%zx\r\n", event.size());
                net::write(stream, net::buffer(std::string(size) + event + "\r\n"), ec);
            }
            net::write(stream, net::buffer(std::string("0\r\n\r\n")), ec);
        } else if (target == "/stall") {
            char byte;
            beast::get_lowest_layer(stream).read_some(net::buffer(&byte, 1),
                                                      ec);  // until the client leaves
        } else {
            http::response<http::string_body> res{http::status::not_found, 11};
            res.body() = "nope";
            res.prepare_payload();
            http::write(stream, res, ec);
        }
    }

    void serve() {
        while (!stopping_) {
            tcp::socket socket(ioc_);
            beast::error_code ec;
            acceptor_.accept(socket, ec);
            if (ec || stopping_)
                return;
            if (tls_) {
                beast::ssl_stream<tcp::socket> stream(std::move(socket), *tls_);
                stream.handshake(net::ssl::stream_base::server, ec);
                if (!ec)
                    handle(stream);
            } else {
                handle(socket);
            }
        }
    }

    net::io_context ioc_;
    tcp::acceptor acceptor_;
    std::unique_ptr<net::ssl::context> tls_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable cv_;
    int released_ = 0;
    std::thread thread_;
};

TEST(HttpClient, PostGetsStatusHeadersAndBody) {
    TestHttpServer server(false);
    HttpClient client;
    HttpRequest req;
    req.method = "POST";
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/echo";
    req.headers = {{"Content-Type", "application/json"}};
    req.body = R"({"a":1})";
    auto res = client.request(req);
    ASSERT_TRUE(res) << res.error().message();
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->header("x-test").value_or(""), "yes");
    EXPECT_EQ(res->body, R"(POST {"a":1})");
    // The client can be reused, and any status is a success.
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/missing";
    auto missing = client.request(req);
    ASSERT_TRUE(missing) << missing.error().message();
    EXPECT_EQ(missing->status, 404);
}

TEST(HttpClient, ChunkedStreamArrivesPieceByPieceInOrder) {
    TestHttpServer server(false);
    HttpClient client;
    HttpRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/events";
    std::string received;
    int head_status = 0;
    HttpStreamHandlers handlers;
    handlers.on_head = [&](int status, const Headers& headers) {
        head_status = status;
        EXPECT_EQ(find_header(headers, "content-type").value_or(""), "text/event-stream");
        return true;
    };
    handlers.on_data = [&](std::string_view bytes) {
        received.append(bytes);
        // The server sends the next event only once we have seen this one: proof that the body
        // is delivered as it arrives, not at the end.
        if (received.size() % 9 == 0)
            server.release_next_chunk();
        return true;
    };
    auto status = client.request_stream(req, handlers);
    ASSERT_TRUE(status) << status.error().message();
    EXPECT_EQ(head_status, 200);
    EXPECT_EQ(received, "data: 1\n\ndata: 2\n\ndata: 3\n\n");
}

TEST(HttpClient, StreamCanBeCancelledFromAnotherThread) {
    TestHttpServer server(false);
    HttpClient client;
    HttpRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/events";
    std::promise<void> first;
    std::atomic<bool> got_first{false};
    HttpStreamHandlers handlers;
    handlers.on_data = [&](std::string_view) {
        if (!got_first.exchange(true))
            first.set_value();
        return true;
    };
    std::thread canceller([&] {
        first.get_future().wait();
        client.cancel();
    });
    auto status = client.request_stream(req, handlers);
    canceller.join();
    ASSERT_FALSE(status);
    EXPECT_EQ(error_kind(status.error()), Error::kCancelled) << status.error().message();
}

TEST(HttpClient, HttpsWithTestCa) {
    TestHttpServer server(true);
    HttpClient client;
    HttpRequest req;
    req.method = "POST";
    req.url = "https://localhost:" + std::to_string(server.port()) + "/echo";
    req.body = "secure";
    req.ca_file = test_pki().ca_cert;
    req.resolve_override = ResolveOverride{"localhost", "127.0.0.1", server.port()};
    auto res = client.request(req);
    ASSERT_TRUE(res) << res.error().message();
    EXPECT_EQ(res->body, "POST secure");
}

TEST(HttpClient, HttpsWithoutTrustIsRefused) {
    TestHttpServer server(true);
    HttpClient client;
    HttpRequest req;
    req.url = "https://localhost:" + std::to_string(server.port()) + "/echo";
    req.ca_file = test_pki().rogue_cert;  // trusts only an unrelated self-signed certificate
    req.resolve_override = ResolveOverride{"localhost", "127.0.0.1", server.port()};
    auto res = client.request(req);
    ASSERT_FALSE(res);
    EXPECT_EQ(error_kind(res.error()), Error::kNotVerified) << res.error().message();
}

TEST(HttpClient, SilentServerTimesOut) {
    TestHttpServer server(false);
    HttpClient client;
    HttpRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/stall";
    req.timeout = std::chrono::milliseconds(300);
    auto res = client.request(req);
    ASSERT_FALSE(res);
    EXPECT_EQ(error_kind(res.error()), Error::kTimeout) << res.error().message();
}

TEST(HttpClient, BodyOverTheLimitFails) {
    TestHttpServer server(false);
    HttpClient client;
    HttpRequest req;
    req.method = "POST";
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/echo";
    req.body = std::string(1000, 'z');
    req.max_body_bytes = 100;
    auto res = client.request(req);
    ASSERT_FALSE(res);
    EXPECT_EQ(error_kind(res.error()), Error::kBodyTooLarge) << res.error().message();
}

TEST(HttpClient, RejectsNonHttpUrls) {
    HttpClient client;
    HttpRequest req;
    req.url = "ws://127.0.0.1/";
    auto res = client.request(req);
    ASSERT_FALSE(res);
    EXPECT_EQ(error_kind(res.error()), Error::kInvalidUrl);
}

}  // namespace
}  // namespace parley::transport::testing
