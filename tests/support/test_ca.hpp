// SPDX-License-Identifier: Apache-2.0
// TestCa: a throwaway certificate authority made with the openssl CLI at test time in a temp dir
// (removed with the object), and the server certificates it signs, for TLS tests that verify
// host names and trust. Aborts the test run if openssl fails. Test threads only.
#pragma once

#include <string>

namespace parley::test {

struct CertAndKey {
    std::string cert;  // PEM file paths
    std::string key;
};

class TestCa {
public:
    // `name` goes into the temp dir's and the CA's names.
    explicit TestCa(const std::string& name);
    ~TestCa();
    TestCa(const TestCa&) = delete;
    TestCa& operator=(const TestCa&) = delete;

    [[nodiscard]] const std::string& dir() const { return dir_; }
    // The CA certificate a client trusts.
    [[nodiscard]] const std::string& cert() const { return cert_; }

    // A server certificate for `subject_alt_names` (e.g. "DNS:localhost,DNS:example.com"),
    // signed by this CA.
    [[nodiscard]] CertAndKey issue(const std::string& name,
                                   const std::string& subject_alt_names) const;
    // A self-signed certificate for the same kind of names, which no test trusts.
    [[nodiscard]] CertAndKey self_signed(const std::string& name,
                                         const std::string& subject_alt_names) const;

private:
    std::string dir_;
    std::string cert_;
};

}  // namespace parley::test
