#include "daemon/supervision/code_server_session.h"

#include <optional>
#include <string_view>

#include <boost/asio/post.hpp>
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
    // The definitions came before the close: they are reported first, once hashed.
    if (self->hashing_) {
      self->closed_while_hashing_ = true;
      return;
    }
    if (self->callbacks_.on_closed) self->callbacks_.on_closed();
  };
  session->peer_->start(std::move(handlers));
  return session;
}

CodeServerSession::CodeServerSession(std::shared_ptr<ipc::RpcPeer> peer, std::string location,
                                     Callbacks callbacks)
    : peer_(std::move(peer)), location_(std::move(location)), callbacks_(std::move(callbacks)) {}

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
    // The snapshot's bytes are then cut out of the result in place rather than copied.
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
    Snapshot snapshot;
    if (summary_span) {
      snapshot.summary = json::parse(*summary_span, nullptr, false);
      if (snapshot.summary.is_discarded()) snapshot.summary = nullptr;
    }
    const std::size_t offset = static_cast<std::size_t>(snapshot_span->data() - result.data());
    const std::size_t size = snapshot_span->size();
    std::string raw = reply.take_raw_result();
    raw.resize(offset + size);
    raw.erase(0, offset);
    snapshot.bytes = std::move(raw);
    if (self->load_reported_) return;
    self->load_reported_ = true;
    self->hash_then_report(std::move(snapshot));
  });
}

void CodeServerSession::hash_then_report(Snapshot snapshot) {
  std::optional<Sha256> hash;
  try {
    hash.emplace();
  } catch (const Sha256Error& error) {
    hash_failed(error);
    return;
  }
  if (snapshot.bytes.size() <= kHashSliceBytes) {
    if (!hash_slice(*hash, snapshot.bytes)) return;
    report_definitions(std::move(snapshot), *hash);
    return;
  }
  // Hashing a big snapshot at once would hold the loop (~30 ms for 50 MB): hash one slice per
  // loop callback instead, so control requests, pings and other locations' I/O run in between.
  // Nothing is reported meanwhile (see on_closed in create()), so the owner sees the same order
  // of events as with a synchronous hash.
  hashing_ = std::make_unique<Hashing>(Hashing{std::move(snapshot), std::move(*hash), 0});
  hash_next_slice();
}

void CodeServerSession::hash_next_slice() {
  std::weak_ptr<CodeServerSession> weak = weak_from_this();
  boost::asio::post(peer_->channel().get_executor(), [weak] {
    auto self = weak.lock();
    if (!self || !self->hashing_) return;  // destroyed or closed meanwhile
    Hashing& hashing = *self->hashing_;
    std::string_view rest = std::string_view(hashing.snapshot.bytes).substr(hashing.hashed);
    std::string_view slice = rest.substr(0, kHashSliceBytes);
    if (!self->hash_slice(hashing.hash, slice)) return;
    hashing.hashed += slice.size();
    if (hashing.hashed < hashing.snapshot.bytes.size()) {
      self->hash_next_slice();
      return;
    }
    std::unique_ptr<Hashing> done = std::move(self->hashing_);
    self->report_definitions(std::move(done->snapshot), done->hash);
    if (self->closed_while_hashing_) {
      self->closed_while_hashing_ = false;
      if (self->callbacks_.on_closed) self->callbacks_.on_closed();
    }
  });
}

bool CodeServerSession::hash_slice(Sha256& hash, std::string_view bytes) {
  try {
    hash.update(bytes);
    return true;
  } catch (const Sha256Error& error) {
    hash_failed(error);
    return false;
  }
}

void CodeServerSession::report_definitions(Snapshot snapshot, Sha256& hash) {
  try {
    snapshot.version = Sha256::version_from(hash.finish());
  } catch (const Sha256Error& error) {
    hash_failed(error);
    return;
  }
  snapshot.received_at = std::chrono::system_clock::now();
  callbacks_.on_definitions(std::move(snapshot));
}

// Only when OpenSSL fails (out of memory): the definitions cannot be versioned, so they are not
// served; the location reports it as its load error rather than the daemon going down.
void CodeServerSession::hash_failed(const Sha256Error& error) {
  hashing_.reset();
  spdlog::error("{}: {}", location_, error.what());
  std::string message = std::string("codeloc could not version the definitions: ") + error.what();
  callbacks_.on_load_error(LocationError{message, {{"message", message}}});
  if (closed_while_hashing_) {
    closed_while_hashing_ = false;
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
  hashing_.reset();
  closed_while_hashing_ = false;
  peer_->close();
}

}  // namespace codeloc::daemon
