// SHA-256, incremental, for definitions versions ("sha256:<hex>"), computed by OpenSSL's libcrypto
// (its SHA256_* functions: the same assembly as EVP's, SHA-NI where the CPU has it, without EVP's
// provider set-up, which kept 2 MiB more of libcrypto resident in the daemon, issue 17). About 1.8
// GB/s on the bench machine (bench/RESULTS.md), so a 50 MB snapshot costs ~30 ms; callers on the
// event loop still hash big inputs in slices (code_server_session.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace codeloc::daemon {

// An OpenSSL call failed (in practice only when memory runs out). what() names the call and
// OpenSSL's error queue.
class Sha256Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Movable, not copyable. Every member but the destructor throws Sha256Error when OpenSSL fails;
// the object is then unusable.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view bytes);
  std::array<std::uint8_t, 32> finish();  // the object is spent afterwards

  // "sha256:" + lowercase hex of the digest of `bytes`.
  static std::string version_of(std::string_view bytes);
  // "sha256:" + lowercase hex of `digest`.
  static std::string version_from(const std::array<std::uint8_t, 32>& digest);

 private:
  struct Context;  // OpenSSL's SHA256_CTX, kept out of this header
  struct FreeContext {
    void operator()(Context* context) const;
  };
  std::unique_ptr<Context, FreeContext> context_;
};

}  // namespace codeloc::daemon
