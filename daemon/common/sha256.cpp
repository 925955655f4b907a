#include "daemon/common/sha256.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

namespace codeloc::daemon {
namespace {

// Throws with the call that failed and what OpenSSL queued about it (and empties the queue, which
// is per thread, so that a later failure does not report this one).
[[noreturn]] void fail(const char* call) {
  std::string message = std::string("SHA-256: OpenSSL ") + call + " failed";
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    message += std::string(": ") + text;
  }
  throw Sha256Error(message);
}

// libcrypto set up once, without reading openssl.cnf: a snapshot's version is a content address,
// not a security decision, so no system policy (providers, FIPS) applies to it, and the file's
// parsing and the modules it names cost the daemon ~0.6 MiB of memory (bench/RESULTS.md, issue 17).
// SHA-256 is fetched once from the default provider; every hash after the first reuses it.
const EVP_MD* sha256_method() {
  static const EVP_MD* method = [] {
    if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) != 1) fail("OPENSSL_init_crypto");
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    if (!fetched) fail("EVP_MD_fetch(SHA2-256)");
    return fetched;
  }();
  return method;
}

}  // namespace

void Sha256::FreeContext::operator()(evp_md_ctx_st* context) const {
  EVP_MD_CTX_free(context);
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_) fail("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(context_.get(), sha256_method(), nullptr) != 1) fail("EVP_DigestInit_ex");
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view bytes) {
  if (!context_) fail("EVP_DigestUpdate (on a spent or moved-from Sha256)");
  if (EVP_DigestUpdate(context_.get(), bytes.data(), bytes.size()) != 1) fail("EVP_DigestUpdate");
}

std::array<std::uint8_t, 32> Sha256::finish() {
  if (!context_) fail("EVP_DigestFinal_ex (on a spent or moved-from Sha256)");
  std::array<std::uint8_t, 32> digest{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context_.get(), digest.data(), &size) != 1 || size != digest.size())
    fail("EVP_DigestFinal_ex");
  context_.reset();
  return digest;
}

std::string Sha256::version_of(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes);
  return version_from(hash.finish());
}

std::string Sha256::version_from(const std::array<std::uint8_t, 32>& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  out.reserve(out.size() + 2 * digest.size());
  for (std::uint8_t byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

}  // namespace codeloc::daemon
