// SPDX-License-Identifier: Apache-2.0
#include "session/jwt.hpp"

#include <array>
#include <memory>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <nlohmann/json.hpp>

#include "session/credentials_error.hpp"

namespace parley::session {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// A PEM passphrase callback that refuses: a key file's key is never encrypted, and OpenSSL must
// not prompt on the terminal.
int no_passphrase(char*, int, int, void*) {
    return 0;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(bytes[at]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t v = byte(i) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (rest == 2) {
        const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1)
        return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const auto at = kAlphabet.find(c);
        if (at == std::string_view::npos)
            return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(at);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

Result<std::string> sign_jwt_rs256(std::string_view header_json, std::string_view claims_json,
                                   std::string_view private_key_pem) {
    const std::string signing_input =
        base64url_encode(header_json) + "." + base64url_encode(claims_json);

    std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
    if (!bio)
        return fail(CredentialsError::kSigningFailed);
    std::unique_ptr<EVP_PKEY, PkeyFree> key(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
        return fail(CredentialsError::kInvalidPrivateKey);

    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    std::size_t length = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length,
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1) {
        return fail(CredentialsError::kSigningFailed);
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1) {
        return fail(CredentialsError::kSigningFailed);
    }
    signature.resize(length);
    return signing_input + "." + base64url_encode(signature);
}

Result<std::string> make_service_account_assertion(const ServiceAccountKey& key,
                                                   std::string_view scope,
                                                   std::chrono::system_clock::time_point now) {
    nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
    if (!key.private_key_id.empty())
        header["kid"] = key.private_key_id;
    const auto iat =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const nlohmann::json claims = {
        {"iss", key.client_email},
        {"scope", scope},
        {"aud", key.token_uri.empty() ? std::string(kGoogleTokenUri) : key.token_uri},
        {"iat", iat},
        {"exp", iat + kAssertionLifetime.count()},
    };
    // Replace, never throw, on a field that is not UTF-8.
    constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
    return sign_jwt_rs256(header.dump(-1, ' ', false, kReplace),
                          claims.dump(-1, ' ', false, kReplace), key.private_key);
}

}  // namespace parley::session
