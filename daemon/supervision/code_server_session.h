// The daemon's side of one code-server channel (docs/protocol.md, "Code-server protocol v1"):
// handshake, definitions, pings, shutdown, and relayed calls. Turns answers into Snapshot and
// LocationError values; knows nothing of states or processes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "daemon/common/sha256.h"
#include "daemon/supervision/snapshot.h"
#include "ipc/off_loop_job.h"
#include "ipc/rpc_peer.h"

namespace codeloc::daemon {

class CodeServerSession : public std::enable_shared_from_this<CodeServerSession> {
 public:
  struct Callbacks {
    std::function<void(Snapshot)> on_definitions;
    std::function<void(LocationError)> on_load_error;
    // The channel closed (the peer went away); not called after close().
    std::function<void()> on_closed;
  };

  // Takes ownership of `fd` (the daemon's end of the channel). Returns nullptr (fd closed) when
  // the descriptor cannot be used.
  static std::shared_ptr<CodeServerSession> create(const boost::asio::any_io_executor& executor,
                                                   int fd, std::string location,
                                                   std::size_t max_message_bytes,
                                                   Callbacks callbacks);

  // initialize, then definitions.get; each with `timeout`. A protocol error or an error answer
  // becomes on_load_error; a closed channel or a timeout reports nothing (the process exit or the
  // startup timer decides). The definitions are versioned before on_definitions: a snapshot of
  // kOffLoopBytes or more on a thread, while a channel close is held back, so that on_closed
  // still comes after on_definitions. If OpenSSL fails to hash, on_load_error says so.
  void load(std::chrono::milliseconds timeout);
  // One ping; `done(true)` when answered in time.
  void ping(std::chrono::milliseconds timeout, std::function<void(bool)> done);
  // Asks the code server to exit; the answer is not awaited.
  void shutdown();
  // Relays a call (control method location.call).
  void call(const std::string& method, const nlohmann::json& params,
            std::chrono::milliseconds timeout, std::function<void(ipc::RpcReply)> done);
  void close();

 private:
  CodeServerSession(std::shared_ptr<ipc::RpcPeer> peer, std::string location, Callbacks callbacks);
  void request_definitions(std::chrono::milliseconds timeout);
  // The code server broke the framing or sent something that is not JSON-RPC: logged (the first
  // time), and while loading reported as the load's error.
  void protocol_error(const std::string& message);
  // Reports the load's outcome once: a protocol error may come before the answer.
  void report_load_error(LocationError error);
  // Where a member of the result lies in its raw bytes.
  struct SnapshotCut {
    std::size_t offset;
    std::size_t size;
  };
  // A snapshot cut out of the result, with its summary and version, or why it has no version.
  struct Versioned {
    Snapshot snapshot;
    std::string error;  // OpenSSL's failure; empty when versioned
  };
  static Versioned version_snapshot(std::string raw, SnapshotCut snapshot_cut,
                                    std::optional<SnapshotCut> summary_cut);
  // Cuts and versions the snapshot, then calls on_definitions: at once under kOffLoopBytes,
  // otherwise on a thread of its own (on_closed waits until the definitions are reported).
  void version_then_report(std::string raw, SnapshotCut snapshot_cut,
                           std::optional<SnapshotCut> summary_cut);
  void report_versioned(Versioned versioned);

  // The smallest result cut and hashed off the loop: ~0.6 ms of work at OpenSSL's 1.8 GB/s.
  static constexpr std::size_t kOffLoopBytes = 1u << 20;

  std::shared_ptr<ipc::RpcPeer> peer_;
  std::string location_;
  Callbacks callbacks_;
  bool load_reported_ = false;
  ipc::OffLoopJob versioning_;            // busy while a big snapshot is cut and hashed
  bool closed_while_versioning_ = false;  // the channel closed meanwhile: on_closed comes after
  int protocol_errors_ = 0;
};

}  // namespace codeloc::daemon
