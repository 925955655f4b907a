#include "daemon/common/sha256.h"

#include <new>

#include <openssl/err.h>
#include <openssl/sha.h>

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, whose first use loads the
// provider machinery (+2 MiB resident); they remain in OpenSSL 3 and run the same code. A pragma,
// not OPENSSL_SUPPRESS_DEPRECATED, which would have to precede every OpenSSL header of a unity TU.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

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

}  // namespace

struct Sha256::Context {
  SHA256_CTX state;
};

void Sha256::FreeContext::operator()(Context* context) const {
  delete context;
}

Sha256::Sha256() : context_(new (std::nothrow) Context) {
  if (!context_) fail("SHA256_Init (out of memory)");
  if (SHA256_Init(&context_->state) != 1) fail("SHA256_Init");
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view bytes) {
  if (!context_) fail("SHA256_Update (on a spent or moved-from Sha256)");
  if (SHA256_Update(&context_->state, bytes.data(), bytes.size()) != 1) fail("SHA256_Update");
}

std::array<std::uint8_t, 32> Sha256::finish() {
  if (!context_) fail("SHA256_Final (on a spent or moved-from Sha256)");
  std::array<std::uint8_t, 32> digest{};
  if (SHA256_Final(digest.data(), &context_->state) != 1) fail("SHA256_Final");
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

#pragma GCC diagnostic pop
