// SPDX-License-Identifier: Apache-2.0
#include "transport/live_path.hpp"

#include <gtest/gtest.h>

#include "transport/error.hpp"
#include "transport/url.hpp"
#include "transport/ws_connection.hpp"

namespace parley::transport {
namespace {

TEST(LivePath, SdkDoubleSlashPathWithKey) {
    auto p = parse_live_path(
        "//ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=K");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->backend, LiveBackend::kGeminiApi);
    EXPECT_EQ(p->api_version, "v1beta");
    EXPECT_FALSE(p->constrained);
    EXPECT_EQ(p->prefix, "");
    EXPECT_EQ(p->key, "K");
    EXPECT_EQ(p->normalized,
              "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent");
}

TEST(LivePath, ProxyPrefixIsAllowed) {
    auto p = parse_live_path(
        "/proxy//ws/"
        "google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=K");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->prefix, "/proxy");
}

TEST(LivePath, ConstrainedWithAccessToken) {
    auto p = parse_live_path(
        "//ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained"
        "?access_token=auth_tokens%2Fabc123");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->constrained);
    EXPECT_EQ(p->api_version, "v1alpha");
    EXPECT_EQ(p->access_token, "auth_tokens/abc123");
    EXPECT_EQ(p->key, "");
}

TEST(LivePath, VertexPath) {
    auto p =
        parse_live_path("//ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->backend, LiveBackend::kVertex);
    EXPECT_EQ(p->api_version, "v1beta1");
}

TEST(LivePath, OtherPathsAreNotLivePaths) {
    EXPECT_FALSE(parse_live_path("/"));
    EXPECT_FALSE(
        parse_live_path("/ws/google.ai.generativelanguage.v1beta.GenerativeService.Other"));
    EXPECT_FALSE(
        parse_live_path("/ws/google.ai.generativelanguage..GenerativeService.BidiGenerateContent"));
    EXPECT_FALSE(parse_live_path(
        "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent/extra"));
    EXPECT_FALSE(parse_live_path("/ws/google.cloud.aiplatform.v1.LlmBidiService/Other"));
}

TEST(LivePath, QueryParsingDecodesAndKeepsOrder) {
    auto q = parse_query("a=1&b=%2Fx&&c&key=A+B");
    ASSERT_EQ(q.size(), 4u);
    EXPECT_EQ(q[1], std::make_pair(std::string("b"), std::string("/x")));
    EXPECT_EQ(q[2], std::make_pair(std::string("c"), std::string("")));
    EXPECT_EQ(q[3].second, "A+B");
    EXPECT_EQ(collapse_slashes("//a///b/"), "/a/b/");
}

TEST(Url, ParsesSchemesPortsAndTargets) {
    auto u = parse_url("wss://generativelanguage.googleapis.com//ws/x?key=K");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->port, 443);
    EXPECT_TRUE(u->tls());
    EXPECT_EQ(u->target, "//ws/x?key=K");
    auto v = parse_url("http://[::1]:8080");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->host, "::1");
    EXPECT_EQ(v->port, 8080);
    EXPECT_EQ(v->target, "/");
    EXPECT_EQ(v->authority(), "[::1]:8080");
}

TEST(Url, BadUrlsFailWithoutEchoingThem) {
    auto u = parse_url("ftp://host/?key=SECRET");
    ASSERT_FALSE(u);
    EXPECT_EQ(error_kind(u.error()), Error::kInvalidUrl);
    EXPECT_EQ(u.error().message().find("SECRET"), std::string::npos);
    EXPECT_FALSE(parse_url("ws://host:99999/"));
    EXPECT_FALSE(parse_url("ws:///"));
    EXPECT_FALSE(parse_url("no scheme"));
}

TEST(Error, DetailedCodesKeepKindConditionAndStatus) {
    auto ec = make_error(Error::kHandshakeRejected, "upgrade rejected with HTTP 403", 403);
    EXPECT_EQ(error_kind(ec), Error::kHandshakeRejected);
    EXPECT_EQ(http_status_of(ec), 403);
    EXPECT_EQ(ec, Condition::kHandshakeFailed);
    EXPECT_NE(ec, Condition::kTimeout);
    EXPECT_EQ(ec.message(), "upgrade rejected with HTTP 403");
    // The same text gives the same code.
    EXPECT_EQ(make_error(Error::kHandshakeRejected, "upgrade rejected with HTTP 403", 403), ec);
    std::error_code plain = Error::kTimeout;
    EXPECT_EQ(plain, Condition::kTimeout);
    EXPECT_EQ(error_kind(plain), Error::kTimeout);
    EXPECT_FALSE(plain.message().empty());
    EXPECT_EQ(error_kind(std::make_error_code(std::errc::io_error)), Error{});
}

TEST(Error, TruncateUtf8NeverSplitsASequence) {
    // "é" is 2 bytes: 61 copies = 122 bytes plus one more would split at 123.
    std::string reason;
    for (int i = 0; i < 70; ++i) reason += "\xC3\xA9";
    EXPECT_EQ(truncate_utf8(reason, 123).size(), 122u);
    EXPECT_EQ(truncate_utf8("short", 123), "short");
}

}  // namespace
}  // namespace parley::transport
