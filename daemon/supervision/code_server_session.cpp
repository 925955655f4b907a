#include "daemon/supervision/code_server_session.h"

#include <optional>
#include <string_view>
#include <system_error>

#include <spdlog/spdlog.h>

#include "daemon/common/version.h"
#include "ipc/json_rpc.h"
#include "ipc/json_span.h"
#include "ipc/line_channel.h"
#include "ipc/protocol.h"

namespace codeloc::daemon {
namespace {

using nlohmann::json;

LocationError load_error_from(const ipc::RpcError& error) {
  LocationError out;
  out.message = error.message();
  if (error.code() == ipc::error_code::kLoadError && error.data().is_object()) {
    out.detail = error.data();
    // The one-line form users see in tables: "ModuleNotFoundError: No module named 'pandas'".
    std::string class_name = out.detail.value("class_name", "");
    std::string message = out.detail.value("message", error.message());
    out.message = class_name.empty() ? message : class_name + ": " + message;
    if (!out.detail.contains("message")) out.detail["message"] = message;
  } else {
    out.detail = {{"message", out.message}, {"code", error.code()}};
    if (!error.data().is_null()) out.detail["data"] = error.data();
  }
  return out;
}

// A timeout or a closed channel says nothing about the user's code: the process exit or the
// startup timer decides what happens to the location.
bool channel_failure(const ipc::RpcError& error) {
  return error.code() == ipc::error_code::kTimeout ||
         error.code() == ipc::error_code::kLocationUnavailable;
}

}  // namespace

std::shared_ptr<CodeServerSession> CodeServerSession::create(
    const boost::asio::any_io_executor& executor, int fd, std::string location,
    std::size_t max_message_bytes, Callbacks callbacks) {
  ipc::LineChannel::Options options;
  options.max_frame_bytes = max_message_bytes;
  boost::system::error_code error;
  auto channel = ipc::LineChannel::from_fd(executor, fd, options, error);
  if (!channel) return nullptr;
  std::shared_ptr<CodeServerSession> session(new CodeServerSession(
      ipc::RpcPeer::create(channel), std::move(location), std::move(callbacks)));
  ipc::RpcPeer::Handlers handlers;
  std::weak_ptr<CodeServerSession> weak = session;
  handlers.on_too_large = [weak, max_message_bytes] {
    if (auto self = weak.lock()) {
      self->protocol_error("the code server sent a message over the limit of " +
                           std::to_string(max_message_bytes) +
                           " bytes (max_message_bytes); it was discarded");
    }
  };
  handlers.on_message = [weak](ipc::Message message) {
    auto self = weak.lock();
    if (!self) return;
    if (message.kind == ipc::MessageKind::kInvalid) {
      self->protocol_error("the code server sent a line that is not JSON-RPC: " +
                           (message.error ? std::string(message.error->what()) : "invalid"));
    } else {
      spdlog::warn("{}: the code server sent an unexpected message ({}); ignored", self->location_,
                   message.method.empty() ? "a batch" : message.method);
    }
  };
  handlers.on_closed = [weak](const boost::system::error_code&) {
    auto self = weak.lock();
    if (!self) return;
    // The definitions came before the close: they are reported first, once versioned.
    if (self->versioning_.busy()) {
      self->closed_while_versioning_ = true;
      return;
    }
    if (self->callbacks_.on_closed) self->callbacks_.on_closed();
  };
  session->peer_->start(std::move(handlers));
  return session;
}

CodeServerSession::CodeServerSession(std::shared_ptr<ipc::RpcPeer> peer, std::string location,
                                     Callbacks callbacks)
    : peer_(std::move(peer)),
      location_(std::move(location)),
      callbacks_(std::move(callbacks)),
      versioning_(peer_->channel().get_executor()) {}

void CodeServerSession::load(std::chrono::milliseconds timeout) {
  json params = {{"protocol_version", ipc::kCodeServerProtocolVersion},
                 {"location", location_},
                 {"daemon", {{"name", "codeloc"}, {"version", codeloc_version()}}}};
  std::weak_ptr<CodeServerSession> weak = weak_from_this();
  peer_->call(ipc::method::kInitialize, params, timeout, [weak, timeout](ipc::RpcReply reply) {
    auto self = weak.lock();
    if (!self) return;
    if (!reply.ok()) {
      if (channel_failure(reply.error())) return;
      LocationError error = load_error_from(reply.error());
      error.message = "the code server refused the handshake: " + error.message;
      error.detail["message"] = error.message;
      self->report_load_error(std::move(error));
      return;
    }
    const json& result = reply.result();
    int version = result.is_object() ? result.value("protocol_version", 0) : 0;
    if (version != ipc::kCodeServerProtocolVersion) {
      std::string message = "the code server speaks protocol version " + std::to_string(version) +
                            ", codeloc speaks " + std::to_string(ipc::kCodeServerProtocolVersion);
      self->report_load_error(LocationError{message, {{"message", message}}});
      return;
    }
    self->request_definitions(timeout);
  });
}

void CodeServerSession::request_definitions(std::chrono::milliseconds timeout) {
  std::weak_ptr<CodeServerSession> weak = weak_from_this();
  peer_->call(ipc::method::kDefinitionsGet, json::object(), timeout, [weak](ipc::RpcReply reply) {
    auto self = weak.lock();
    if (!self) return;
    if (!reply.ok()) {
      if (channel_failure(reply.error())) return;
      self->report_load_error(load_error_from(reply.error()));
      return;
    }
    // A big result comes with its members found off the loop (RpcPeer); a small one is scanned
    // here, once for both members (each member_span() would validate the whole result again).
    const std::string_view result = reply.raw_result();
    ipc::JsonObjectScan members;
    std::optional<std::string_view> snapshot_span, summary_span;
    if (reply.has_result_members()) {
      snapshot_span = reply.result_member("snapshot");
      summary_span = reply.result_member("summary");
    } else {
      members = ipc::scan_object(result);
      if (members.ok()) {
        snapshot_span = members.find("snapshot");
        summary_span = members.find("summary");
      }
    }
    if (!snapshot_span || snapshot_span->empty() || snapshot_span->front() != '{') {
      std::string message = "the code server answered definitions.get without a snapshot object";
      self->report_load_error(LocationError{message, {{"message", message}}});
      return;
    }
    const std::size_t offset = static_cast<std::size_t>(snapshot_span->data() - result.data());
    const std::size_t size = snapshot_span->size();
    std::optional<SnapshotCut> summary_cut;
    if (summary_span) {
      summary_cut = SnapshotCut{static_cast<std::size_t>(summary_span->data() - result.data()),
                                summary_span->size()};
    }
    if (self->load_reported_) return;
    self->load_reported_ = true;
    self->version_then_report(reply.take_raw_result(), SnapshotCut{offset, size}, summary_cut);
  });
}

CodeServerSession::Versioned CodeServerSession::version_snapshot(
    std::string raw, SnapshotCut snapshot_cut, std::optional<SnapshotCut> summary_cut) {
  Versioned out;
  Snapshot& snapshot = out.snapshot;
  if (summary_cut) {
    std::string_view summary = std::string_view(raw).substr(summary_cut->offset, summary_cut->size);
    snapshot.summary = json::parse(summary, nullptr, false);
    if (snapshot.summary.is_discarded()) snapshot.summary = nullptr;
  }
  // Cut the snapshot's bytes out of the result in place rather than copy them.
  raw.resize(snapshot_cut.offset + snapshot_cut.size);
  raw.erase(0, snapshot_cut.offset);
  snapshot.bytes = std::move(raw);
  try {
    Sha256 hash;
    hash.update(snapshot.bytes);
    snapshot.version = Sha256::version_from(hash.finish());
  } catch (const Sha256Error& error) {
    out.error = error.what();
  }
  return out;
}

void CodeServerSession::version_then_report(std::string raw, SnapshotCut snapshot_cut,
                                            std::optional<SnapshotCut> summary_cut) {
  if (raw.size() < kOffLoopBytes) {
    report_versioned(version_snapshot(std::move(raw), snapshot_cut, summary_cut));
    return;
  }
  // Cutting and hashing 50 MB would hold the loop for tens of milliseconds: a thread does it
  // while control requests, pings and other locations' I/O go on. Nothing is reported meanwhile
  // (see on_closed in create()), so the owner sees the same order of events as with the work
  // done at once.
  auto shared_raw = std::make_shared<std::string>(std::move(raw));
  std::weak_ptr<CodeServerSession> weak = weak_from_this();
  try {
    versioning_.start<Versioned>(
        [shared_raw, snapshot_cut, summary_cut] {
          return version_snapshot(std::move(*shared_raw), snapshot_cut, summary_cut);
        },
        [weak](Versioned versioned) {
          if (auto self = weak.lock()) self->report_versioned(std::move(versioned));
        });
  } catch (const std::system_error& error) {
    // No thread to be had: do it here rather than drop the definitions.
    spdlog::warn("{}: versioning a {}-byte snapshot on the loop: {}", location_, shared_raw->size(),
                 error.what());
    report_versioned(version_snapshot(std::move(*shared_raw), snapshot_cut, summary_cut));
  }
}

void CodeServerSession::report_versioned(Versioned versioned) {
  if (versioned.error.empty()) {
    versioned.snapshot.received_at = std::chrono::system_clock::now();
    callbacks_.on_definitions(std::move(versioned.snapshot));
  } else {
    // Only when OpenSSL fails (out of memory): the definitions cannot be versioned, so they are
    // not served; the location reports it as its load error rather than the daemon going down.
    spdlog::error("{}: {}", location_, versioned.error);
    std::string message = "codeloc could not version the definitions: " + versioned.error;
    callbacks_.on_load_error(LocationError{message, {{"message", message}}});
  }
  if (closed_while_versioning_) {
    closed_while_versioning_ = false;
    if (callbacks_.on_closed) callbacks_.on_closed();
  }
}

void CodeServerSession::protocol_error(const std::string& message) {
  if (++protocol_errors_ == 1) {
    spdlog::error("{}: {} (further protocol errors from this code server are not logged)",
                  location_, message);
  }
  if (load_reported_) return;
  load_reported_ = true;
  callbacks_.on_load_error(LocationError{message, {{"message", message}}});
}

void CodeServerSession::report_load_error(LocationError error) {
  if (load_reported_) return;
  load_reported_ = true;
  callbacks_.on_load_error(std::move(error));
}

void CodeServerSession::ping(std::chrono::milliseconds timeout, std::function<void(bool)> done) {
  peer_->call(ipc::method::kPing, json::object(), timeout,
              [done = std::move(done)](ipc::RpcReply reply) { done(reply.ok()); });
}

void CodeServerSession::shutdown() {
  peer_->call(ipc::method::kShutdown, json::object(), std::chrono::seconds(5),
              [](ipc::RpcReply) {});
}

void CodeServerSession::call(const std::string& method, const nlohmann::json& params,
                             std::chrono::milliseconds timeout,
                             std::function<void(ipc::RpcReply)> done) {
  peer_->call(method, params, timeout, std::move(done));
}

void CodeServerSession::close() {
  versioning_.cancel();
  closed_while_versioning_ = false;
  peer_->close();
}

}  // namespace codeloc::daemon
