// One location's Dagster gRPC address as its children come and go (docs/dagster.md): whether the
// location serves one at all, each generation's private socket, and which generation the stable
// path names. The Location decides when; this class does the file operations and remembers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "daemon/dagster/dagster_address.h"
#include "daemon/supervision/location_options.h"
#include "workspace/location_spec.h"

namespace codeloc::daemon {

class DagsterPublication {
 public:
  // Serves an address when `spec` is a Python kind, options.dagster_grpc is on and state_dir is
  // set. REQUIRES: options outlives it.
  DagsterPublication(const LocationOptions& options, const workspace::LocationSpec& spec);
  ~DagsterPublication();  // unpublishes
  DagsterPublication(const DagsterPublication&) = delete;
  DagsterPublication& operator=(const DagsterPublication&) = delete;

  // The entry changed: a location that no longer serves one unpublishes and forgets its address;
  // one that now does gets it.
  void update(const workspace::LocationSpec& spec);

  // The private socket of child `child_id` (its folder created); empty when none is served.
  std::filesystem::path generation_socket(std::uint64_t child_id);
  // Child `child_id` has loaded (or failed to: Dagster's server then shows the error) with its
  // socket at `socket` (empty: it has none): the stable path names it from now on, or error()
  // says why not.
  void publish(std::uint64_t child_id, const std::filesystem::path& socket);
  // The location stopped: the stable path goes.
  void unpublish();

  // The address, when the location serves one.
  const DagsterAddress* address() const { return address_.get(); }
  bool published() const { return published_child_ != 0; }
  // Why the address is not published (unusable, or the last publish failed); empty: none.
  std::string error() const;

 private:
  const LocationOptions& options_;
  std::string name_;
  std::unique_ptr<DagsterAddress> address_;  // allocated only for a location that serves one
  std::uint64_t published_child_ = 0;  // the child whose socket the stable path names; 0: none
  std::string error_;                  // why the current child's server is not published
};

}  // namespace codeloc::daemon
