#include "daemon/common/sha256.h"

#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace codeloc::daemon {
namespace {

TEST(Sha256, MatchesTheStandardTestVectors) {
  EXPECT_EQ(Sha256::version_of(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::version_of("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256::version_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256::version_of(std::string(1'000'000, 'a')),
            "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalUpdatesEqualOneShot) {
  std::string data(1000, 'x');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 31);
  Sha256 a;
  for (std::size_t i = 0; i < data.size(); i += 7)
    a.update(std::string_view(data).substr(i, 7));
  Sha256 b;
  b.update(data);
  EXPECT_EQ(a.finish(), b.finish());
}

// The daemon hashes a big snapshot in 1 MiB slices (code_server_session.cpp).
TEST(Sha256, SlicesOfABigInputGiveItsVersion) {
  std::string data(5 * (1u << 20) + 12345, 'y');
  for (std::size_t i = 0; i < data.size(); i += 4093)
    data[i] = static_cast<char>(i);
  Sha256 hash;
  for (std::size_t i = 0; i < data.size(); i += 1u << 20)
    hash.update(std::string_view(data).substr(i, 1u << 20));
  EXPECT_EQ(Sha256::version_from(hash.finish()), Sha256::version_of(data));
}

TEST(Sha256, MovesItsStateAndRefusesUseAfterFinish) {
  Sha256 a;
  a.update("ab");
  Sha256 b = std::move(a);
  b.update("c");
  EXPECT_EQ(Sha256::version_from(b.finish()),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(b.update("d"), Sha256Error);
  EXPECT_THROW(b.finish(), Sha256Error);
}

}  // namespace
}  // namespace codeloc::daemon
