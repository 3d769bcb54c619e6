// SPDX-License-Identifier: Apache-2.0
#include "support/test_ca.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace parley::test {
namespace {

const std::string kEcKey = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

void run(const std::string& command) {
    const std::string full = command + " >/dev/null 2>&1";
    if (std::system(full.c_str()) != 0) {
        std::fprintf(stderr, "test CA: command failed: %s\n", command.c_str());
        std::abort();
    }
}

}  // namespace

TestCa::TestCa(const std::string& name) {
    std::string templ = "/tmp/parley-" + name + "-pki-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr)
        std::abort();
    dir_ = templ;
    cert_ = dir_ + "/ca.pem";
    run("openssl req -x509" + kEcKey + " -keyout " + dir_ + "/ca.key -out " + cert_ +
        " -days 2 -subj '/CN=Parley " + name +
        " Test CA' -addext basicConstraints=critical,CA:TRUE"
        " -addext keyUsage=critical,keyCertSign,cRLSign");
}

TestCa::~TestCa() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

CertAndKey TestCa::issue(const std::string& name, const std::string& subject_alt_names) const {
    const std::string base = dir_ + "/" + name;
    CertAndKey out{base + ".pem", base + ".key"};
    {
        std::ofstream ext(base + ".ext");
        ext << "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
               "extendedKeyUsage=serverAuth\nsubjectAltName="
            << subject_alt_names << "\n";
    }
    run("openssl req" + kEcKey + " -keyout " + out.key + " -out " + base +
        ".csr -subj /CN=" + name);
    run("openssl x509 -req -in " + base + ".csr -CA " + cert_ + " -CAkey " + dir_ +
        "/ca.key -CAcreateserial -out " + out.cert + " -days 2 -extfile " + base + ".ext");
    return out;
}

CertAndKey TestCa::self_signed(const std::string& name,
                               const std::string& subject_alt_names) const {
    const std::string base = dir_ + "/" + name;
    CertAndKey out{base + ".pem", base + ".key"};
    run("openssl req -x509" + kEcKey + " -keyout " + out.key + " -out " + out.cert +
        " -days 2 -subj /CN=" + name + " -addext subjectAltName=" + subject_alt_names);
    return out;
}

}  // namespace parley::test
