// SHA-256, incremental, for definitions versions ("sha256:<hex>"), computed by OpenSSL's libcrypto
// (EVP). About 1.8 GB/s on the bench machine (bench/RESULTS.md), so a 50 MB snapshot costs ~30 ms;
// a big input is hashed on a thread of its own, off the event loop (code_server_session.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace codeloc::daemon {

// An EVP call failed (in practice only when memory runs out, or when an OpenSSL configuration
// forbids SHA-256). what() names the call and OpenSSL's error queue.
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
  struct FreeContext {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, FreeContext> context_;
};

}  // namespace codeloc::daemon
