// SPDX-License-Identifier: Apache-2.0
// WsServer upgrade handling: Live API paths accepted as the SDKs send them, others rejected with
// the owner's status; headers and query reach the owner.
#include "transport/ws_server.hpp"

#include <gtest/gtest.h>

#include "transport/error.hpp"
#include "transport/live_path.hpp"
#include "ws_fixture.hpp"

namespace parley::transport::testing {
namespace {

class WsServerTest : public WsFixture {
protected:
    void SetUp() override {
        WsFixture::SetUp();
        start_server({}, [](const UpgradeRequest& request) {
            return parse_live_path(request.target).has_value();
        });
    }
};

constexpr const char* kGeminiPath =
    "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";

TEST_F(WsServerTest, AcceptsTheSdkDoubleSlashPathAndPassesTheQuery) {
    auto conn = connect(ws_url(std::string("/") + kGeminiPath + "?key=K123"),
                        {{"x-goog-api-client", "google-genai-sdk/2.32.0"}});
    ASSERT_TRUE(conn) << conn.error().message();
    auto reqs = requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].path, std::string("/") + kGeminiPath);
    EXPECT_EQ(reqs[0].query, "key=K123");
    EXPECT_EQ(reqs[0].header("X-Goog-Api-Client").value_or(""), "google-genai-sdk/2.32.0");
    EXPECT_EQ(parse_live_path(reqs[0].target)->key, "K123");
    EXPECT_NE(reqs[0].remote.find("127.0.0.1:"), std::string::npos);
}

TEST_F(WsServerTest, AcceptsProxyPrefix) {
    auto conn = connect(ws_url(std::string("/proxy") + kGeminiPath + "?key=K"));
    ASSERT_TRUE(conn) << conn.error().message();
}

TEST_F(WsServerTest, AcceptsConstrainedWithAccessToken) {
    auto conn = connect(ws_url(
        "//ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained"
        "?access_token=auth_tokens/abc123"));
    ASSERT_TRUE(conn) << conn.error().message();
    auto live = parse_live_path(requests().at(0).target);
    ASSERT_TRUE(live);
    EXPECT_TRUE(live->constrained);
    EXPECT_EQ(live->access_token, "auth_tokens/abc123");
}

TEST_F(WsServerTest, AcceptsVertexPathWithAuthHeaders) {
    auto conn =
        connect(ws_url("//ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent"),
                {{"Authorization", "Bearer tok"}, {"x-goog-api-key", "VK"}});
    ASSERT_TRUE(conn) << conn.error().message();
    auto reqs = requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].header("authorization").value_or(""), "Bearer tok");
    EXPECT_EQ(reqs[0].header("X-GOOG-API-KEY").value_or(""), "VK");
    EXPECT_EQ(reqs[0].query, "");
}

TEST_F(WsServerTest, RejectsOtherPathsWithTheOwnersStatus) {
    auto conn = connect(ws_url("/ws/something/else?key=SECRETKEY123"));
    ASSERT_FALSE(conn);
    EXPECT_EQ(error_kind(conn.error()), Error::kHandshakeRejected) << conn.error().message();
    EXPECT_EQ(http_status_of(conn.error()), 404);
    EXPECT_NE(conn.error().message().find("404"), std::string::npos) << conn.error().message();
    EXPECT_EQ(conn.error().message().find("SECRETKEY123"), std::string::npos)
        << conn.error().message();
}

TEST_F(WsServerTest, PlainHttpRequestGetsUpgradeRequired) {
    int fd = raw_connect(server_->port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(raw_send(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string answer = raw_read_until(fd, "\r\n\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.1 426", 0), 0u) << answer;
    raw_close(fd);
}

TEST_F(WsServerTest, ListeningOnABusyPortFails) {
    WsServerOptions options;
    options.port = server_->port();
    auto second =
        WsServer::listen(loop_, options, [](const UpgradeRequest&) { return UpgradeDecision{}; });
    ASSERT_FALSE(second);
    EXPECT_EQ(error_kind(second.error()), Error::kListenFailed) << second.error().message();
}

TEST_F(WsServerTest, StoppedServerRefusesNewConnections) {
    const auto port = server_->port();
    server_->stop();
    auto conn = connect("ws://127.0.0.1:" + std::to_string(port) + kGeminiPath);
    ASSERT_FALSE(conn);
    EXPECT_EQ(conn.error(), Condition::kConnectFailed) << conn.error().message();
}

}  // namespace
}  // namespace parley::transport::testing
