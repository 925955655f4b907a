// codeloc's wire protocol in one place: versions, method names, error codes and limits, for both
// the code-server channel (daemon <-> child) and the control socket (clients <-> daemon).
// docs/protocol.md is the human contract; change both together, and bump the version that a
// change breaks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace codeloc::ipc {

// Code-server protocol (docs/protocol.md, "Code-server protocol v1").
inline constexpr int kCodeServerProtocolVersion = 1;
// Control-socket protocol (docs/protocol.md, "Control protocol v1").
inline constexpr int kControlProtocolVersion = 1;

// Environment the daemon gives every child it starts.
inline constexpr const char* kEnvChannelFd = "CODELOC_CHANNEL_FD";
inline constexpr const char* kEnvLocation = "CODELOC_LOCATION";
inline constexpr const char* kEnvProtocol = "CODELOC_PROTOCOL";
// The daemon's control socket, so that a child can call it (a Dagster UI reload, docs/dagster.md).
inline constexpr const char* kEnvSocket = "CODELOC_SOCKET";
// grpc_server attach processes: the entry's additional_metadata as a JSON object (not argv: the
// values may be secrets).
inline constexpr const char* kEnvGrpcMetadata = "CODELOC_GRPC_METADATA";
// The fd number the channel has in the child.
inline constexpr int kChildChannelFd = 3;

namespace method {
// Daemon -> code server.
inline constexpr const char* kInitialize = "initialize";
inline constexpr const char* kDefinitionsGet = "definitions.get";
inline constexpr const char* kPing = "ping";
inline constexpr const char* kShutdown = "shutdown";
// Python code servers: stop taking Dagster runs, exit once the running ones end (docs/dagster.md).
inline constexpr const char* kDagsterDrain = "dagster.drain";

// Client -> daemon.
inline constexpr const char* kDaemonInfo = "daemon.info";
inline constexpr const char* kLocationsList = "locations.list";
inline constexpr const char* kLocationGet = "location.get";
inline constexpr const char* kLocationDefinitions = "location.definitions";
inline constexpr const char* kLocationReload = "location.reload";
inline constexpr const char* kWorkspaceReload = "workspace.reload";
inline constexpr const char* kLocationStart = "location.start";
inline constexpr const char* kLocationStop = "location.stop";
inline constexpr const char* kLocationRestart = "location.restart";
inline constexpr const char* kLocationLogs = "location.logs";
inline constexpr const char* kLocationCall = "location.call";
inline constexpr const char* kEventsSubscribe = "events.subscribe";
}  // namespace method

// JSON-RPC 2.0 error codes: the standard ones, then codeloc's (-32000..-32099, server errors).
namespace error_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;

inline constexpr int kLoadError = -32001;            // code server: the user's code failed to load
inline constexpr int kProtocolMismatch = -32002;     // initialize: versions do not match
inline constexpr int kUnknownLocation = -32010;      // control: no location of that name
inline constexpr int kNotLoaded = -32011;            // control: no definitions yet
inline constexpr int kLocationUnavailable = -32012;  // control: no running code server to call
inline constexpr int kTimeout = -32013;              // control: a relayed call timed out
inline constexpr int kMessageTooLarge = -32014;      // a frame over the size limit
inline constexpr int kPermissionDenied = -32015;     // control: peer not allowed
inline constexpr int kWorkspaceInvalid = -32016;     // control: workspace.reload found errors
}  // namespace error_code

// Limits. The control socket's request limit and the code-server message limit are configurable
// (config/settings.h, whose defaults come from config/defaults.h, which names these); these are
// the defaults and the fixed ones.
inline constexpr std::size_t kDefaultMaxRequestBytes = 16u << 20;             // control requests
inline constexpr std::size_t kDefaultMaxCodeServerMessageBytes = 512u << 20;  // snapshots
// Bytes a connection may have queued for writing before the peer counts as too slow (64 MiB).
inline constexpr std::size_t kDefaultMaxQueuedBytes = 64u << 20;

// Defaults of control-method parameters (docs/protocol.md, "Control protocol v1").
inline constexpr std::int64_t kDefaultLogLines = 100;           // location.logs `lines`
inline constexpr std::int64_t kDefaultWaitTimeoutMs = 120'000;  // `wait: true` answers' `timeout`
inline constexpr std::int64_t kDefaultCallTimeoutMs = 30'000;   // location.call `timeout`

}  // namespace codeloc::ipc
