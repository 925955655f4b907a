// Where a location's Dagster gRPC server is reachable (docs/dagster.md, "Addresses"). Every Python
// location's code server also serves Dagster's own gRPC API; Dagster's webserver and daemon reach
// it at one stable path per location, which does not change when the code reloads:
//   <state_dir>/dagster/<name>.sock             stable: a hard link to the serving generation's
//   <state_dir>/dagster/gen/<name>.<child>.sock private: the socket one generation's server binds
// <name> is the location's name with every byte outside [A-Za-z0-9._-] replaced by '_' and, when
// that changed it or the path would not fit in sun_path, a hash of the name instead. The stable
// path is never bound by a gRPC server (gRPC unlinks its socket on shutdown): the daemon publishes
// a generation there with link() + rename() once it has loaded (DagsterAddress::publish).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace codeloc::daemon {

class DagsterAddress {
 public:
  // The longest socket path that fits in sockaddr_un::sun_path with its NUL.
  static constexpr std::size_t kMaxSocketPath = 107;

  DagsterAddress(const std::filesystem::path& state_dir, const std::string& location_name);

  // False when even the hashed names do not fit (a very long state_dir): the location then has
  // no Dagster gRPC server, and why() says so.
  bool usable() const { return usable_; }
  std::string why() const;

  const std::filesystem::path& stable() const { return stable_; }
  // The private path of one generation (a child id, unique within the location).
  std::filesystem::path generation(std::uint64_t child_id) const;
  // The folder of the private paths, and the file-name prefix every generation of this location
  // shares ("<name>."): a code server finds its older generations there (cancels reach them).
  const std::filesystem::path& generation_dir() const { return generation_dir_; }
  const std::string& generation_prefix() const { return prefix_; }

  // Makes the stable path name the socket at `private_path`: link() to a temporary name beside
  // it, then rename() over the stable path, so that a client never finds the path missing.
  // Creates the folders. Returns an empty string, or what failed (naming the path).
  std::string publish(const std::filesystem::path& private_path) const;
  // Removes the stable path (a stopped or removed location); quiet when it is not there.
  void unpublish() const;
  // True when `path` exists and is a socket.
  static bool is_socket(const std::filesystem::path& path);

 private:
  std::filesystem::path stable_;
  std::filesystem::path generation_dir_;
  std::string prefix_;
  bool usable_ = true;
};

// The folder of every location's stable path: <state_dir>/dagster.
std::filesystem::path dagster_dir(const std::filesystem::path& state_dir);

}  // namespace codeloc::daemon
