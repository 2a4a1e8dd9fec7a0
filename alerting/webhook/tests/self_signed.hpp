#pragma once
// A throw-away TLS identity for 127.0.0.1 (EC P-256, signed by itself, valid for an hour), written
// as PEM files, so that a test can run an https receiver and trust exactly it. Link OpenSSL::Crypto.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace strata::testing {

struct self_signed_identity {
  std::string certificate_file; ///< also the CA file a client trusts it with
  std::string key_file;
};

/// Writes cert.pem and key.pem into `directory`.
inline self_signed_identity make_self_signed(const std::filesystem::path& directory) {
  auto fail = [](const char* what) { throw std::runtime_error(std::string("self-signed certificate: ") + what); };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!key || !cert)
    fail("cannot create the key");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  // Clients match an IP address against the subjectAltName, not the common name.
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
  if (san == nullptr)
    fail("cannot build the subjectAltName");
  X509_add_ext(cert.get(), san, -1);
  X509_EXTENSION_free(san);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    fail("cannot sign");

  self_signed_identity out{(directory / "cert.pem").string(), (directory / "key.pem").string()};
  std::unique_ptr<FILE, decltype(&std::fclose)> cert_out(std::fopen(out.certificate_file.c_str(), "w"), &std::fclose);
  std::unique_ptr<FILE, decltype(&std::fclose)> key_out(std::fopen(out.key_file.c_str(), "w"), &std::fclose);
  if (!cert_out || !key_out || PEM_write_X509(cert_out.get(), cert.get()) == 0 ||
      PEM_write_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 0)
    fail("cannot write the PEM files");
  return out;
}

} // namespace strata::testing
