// The daemon's side of one fork server's socket (docs/protocol.md "The fork server's socket"):
// its ready packet, fork requests with their three descriptors (SCM_RIGHTS), and their answers.
// The parsers do no I/O; ForkClient does the I/O on the event loop.
//
// Requests are queued: one is in flight at a time (the fork server serves them one after the
// other anyway), so request_timeout measures one fork, however many launches wait behind it.
// An answer is matched to the request in flight by its id; answers with another id are skipped.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "daemon/common/unique_fd.h"

namespace codeloc::daemon {

// What one fork asks for.
struct ForkRequest {
  std::vector<std::string> argv;  // the code server and its arguments (no interpreter)
  std::vector<std::string> env;   // the location's whole environment, "KEY=VALUE"
  std::string cwd;                // empty: the fork server's
  int channel_fd = -1;            // the child's end of the channel; not owned
};

// The fork server's first packet, or why it is not one (error non-empty).
struct ForkReady {
  nlohmann::json message;  // an object with "ready": true
  std::string error;
};
ForkReady parse_ready_packet(std::string_view packet);

// One request packet (JSON; the descriptors travel beside it). daemon: the pid the forked child
// must be re-parented to.
std::string encode_fork_request(std::uint64_t id, const ForkRequest& request, pid_t daemon);

struct ForkAnswer {
  enum class Kind {
    kForked,  // pid, stdout_fd, stderr_fd
    kFailed,  // error: the fork server's own (unsafe: it has threads), or what went wrong with
              // the socket: no answer in time, a malformed answer, end of file
    kClosed,  // the client was closed before an answer came; error: why (close()'s argument)
  };
  Kind kind = Kind::kFailed;
  std::uint64_t id = 0;  // the request's; decode_fork_answer: 0 when the packet has none
  pid_t pid = -1;
  std::string error;
  bool unsafe = false;
  bool sent = false;   // kClosed: the request had been sent (a child may exist)
  UniqueFd stdout_fd;  // kForked: read ends, non-blocking, close-on-exec
  UniqueFd stderr_fd;
};
// An answer packet as kForked (id, pid) or kFailed (id if any, error, unsafe). A packet that is
// not a JSON object is kFailed with id 0 and "a malformed answer".
ForkAnswer decode_fork_answer(std::string_view packet);

// REQUIRES: io outlives the client. Every callback runs from the event loop (posted), never
// inside a ForkClient call, and may destroy the client.
class ForkClient {
 public:
  using OnReady = std::function<void(ForkReady)>;
  using OnAnswer = std::function<void(ForkAnswer)>;

  // socket: the daemon's end of the fork server's SOCK_SEQPACKET socket.
  ForkClient(boost::asio::io_context& io, UniqueFd socket,
             std::chrono::milliseconds request_timeout);
  // Closes the socket (the fork server exits at end of file). The callbacks of requests not
  // answered yet are dropped: they never run (those posted already still do). Use close() first
  // to have every request answered.
  ~ForkClient();
  ForkClient(const ForkClient&) = delete;
  ForkClient& operator=(const ForkClient&) = delete;

  // Reads the ready packet: on_ready runs once, with it or with what came instead (not after
  // close()). The pool keeps the ready timeout.
  void wait_ready(OnReady on_ready);

  // Queues a fork: `done` runs exactly once (unless the client is destroyed first) with kForked,
  // kFailed (no answer within request_timeout, a malformed answer, ...) or kClosed. After a
  // failure of the socket (not an error answer) the client sends nothing more: the requests
  // behind wait for close(). request.channel_fd must stay open until `done` has run.
  void fork(ForkRequest request, OnAnswer done);

  // The same, waiting for the answer (at most request_timeout) without the event loop.
  // REQUIRES: idle().
  ForkAnswer fork_now(const ForkRequest& request);
  // Nothing queued nor in flight.
  bool idle() const { return queue_.empty(); }

  // Settles every request not answered yet as kClosed with `why` (the one in flight with
  // sent = true), stops reading and closes the socket. No callback is posted afterwards; later
  // fork() calls complete kClosed at once (posted).
  void close(const std::string& why);

 private:
  struct Pending {
    std::uint64_t id = 0;
    ForkRequest request;
    OnAnswer done;
    bool sent = false;
    std::string data;  // the encoded request, once it is the one in flight
    UniqueFd out_write, err_write;
    UniqueFd out_read, err_read;
  };

  void post(OnAnswer done, ForkAnswer answer);
  // Starts the request at the queue's front, if nothing is in flight.
  void send_next();
  void try_send();
  void wait_answer();
  void read_answers();
  void answered(ForkAnswer answer);
  // The socket failed the request in flight: it completes with why; nothing more is sent.
  void broken(std::string why);
  void wait_ready_packet(OnReady on_ready);

  boost::asio::io_context& io_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> socket_;
  boost::asio::steady_timer timer_;  // the request in flight's deadline
  std::chrono::milliseconds request_timeout_;
  std::deque<Pending> queue_;  // front: in flight when in_flight_
  bool in_flight_ = false;
  bool broken_ = false;
  std::uint64_t next_id_ = 1;
  // Handlers hold a weak_ptr to this: one queued before the client went away does nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace codeloc::daemon
