#include "daemon/supervision/dagster_publication.h"

#include <system_error>

#include "daemon/logs/log_context.h"

namespace codeloc::daemon {

DagsterPublication::DagsterPublication(const LocationOptions& options,
                                       const workspace::LocationSpec& spec)
    : options_(options), name_(spec.name) {
  if (workspace::is_python_kind(spec.kind) && options_.dagster_grpc &&
      !options_.state_dir.empty()) {
    address_ = std::make_unique<DagsterAddress>(options_.state_dir, name_);
  }
}

DagsterPublication::~DagsterPublication() {
  unpublish();
}

void DagsterPublication::update(const workspace::LocationSpec& spec) {
  if (!workspace::is_python_kind(spec.kind) || !options_.dagster_grpc) {
    unpublish();
    address_.reset();
  } else if (!address_ && !options_.state_dir.empty()) {
    address_ = std::make_unique<DagsterAddress>(options_.state_dir, name_);
  }
}

std::filesystem::path DagsterPublication::generation_socket(std::uint64_t child_id) {
  if (!address_ || !address_->usable()) return {};
  std::error_code ignored;
  std::filesystem::create_directories(address_->generation_dir(), ignored);
  return address_->generation(child_id);
}

void DagsterPublication::publish(std::uint64_t child_id, const std::filesystem::path& socket) {
  if (!address_ || socket.empty()) return;
  if (!DagsterAddress::is_socket(socket)) {
    error_ =
        "the code server started no Dagster gRPC server (`codeloc logs " + name_ + "` says why)";
    return;
  }
  std::string error = address_->publish(socket);
  if (!error.empty()) {
    error_ = error;
    log_location(spdlog::level::warn, name_, "{}: Dagster gRPC: {}", name_, error);
    return;
  }
  error_.clear();
  published_child_ = child_id;
}

void DagsterPublication::unpublish() {
  if (published_child_ != 0) address_->unpublish();
  published_child_ = 0;
}

std::string DagsterPublication::error() const {
  if (address_ && !address_->usable()) return address_->why();
  return error_;
}

}  // namespace codeloc::daemon
