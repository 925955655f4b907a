// codeloc_api_load: load generator for the control API (bench/api_throughput.py drives it).
//
// Each of --clients threads opens its own connection to the control socket and, in a loop, sends
// one `location.definitions` request and reads the whole answer line before sending the next
// (one request in flight per connection). Plain blocking sockets, one thread per client: the
// tool does no JSON work beyond checking the answer's head, and reads the answer in 1 MiB
// chunks scanned once for '\n', so the daemon is what is measured.
//
//   codeloc_api_load --socket PATH --location NAME [--clients N] [--duration S] [--warmup N]
//
// Every client makes --warmup unmeasured requests (default 1) first; then all start together and
// send requests until --duration seconds (default 5) have passed; a request started before then
// is waited for. Prints one JSON object on stdout: counts, elapsed seconds, req/s, MB/s (answer
// bytes, 10^6), and latency percentiles (nearest rank) in milliseconds. Exit status 1 if any
// answer was an error or malformed, 2 on bad usage or a failed connection.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string socket;
  std::string location;
  int clients = 1;
  double duration_s = 5;
  int warmup = 1;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "codeloc_api_load: %s\n", why);
  std::fprintf(stderr,
               "usage: codeloc_api_load --socket PATH --location NAME [--clients N] "
               "[--duration S] [--warmup N]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) usage("every option takes a value");
    const char* value = argv[++i];
    if (arg == "--socket")
      o.socket = value;
    else if (arg == "--location")
      o.location = value;
    else if (arg == "--clients")
      o.clients = std::atoi(value);
    else if (arg == "--duration")
      o.duration_s = std::atof(value);
    else if (arg == "--warmup")
      o.warmup = std::atoi(value);
    else
      usage(("unknown option " + std::string(arg)).c_str());
  }
  if (o.socket.empty() || o.location.empty()) usage("--socket and --location are required");
  if (o.clients < 1 || o.duration_s <= 0 || o.warmup < 0)
    usage("bad --clients/--duration/--warmup");
  return o;
}

int connect_to(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    ::close(fd);
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct ClientResult {
  std::vector<std::int64_t> latencies_ns;
  std::uint64_t bytes = 0;  // answer bytes, '\n' included, measured requests only
  std::uint64_t last_answer_bytes = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  bool connected = false;
};

class Client {
 public:
  Client(int fd, const std::string& location) : fd_(fd), buffer_(1u << 20) {
    request_tail_ = R"(,"method":"location.definitions","params":{"name":")" + location + "\"}}\n";
  }
  ~Client() { ::close(fd_); }

  // One round trip. Returns the answer's size, or 0 (and sets `error`) on failure.
  std::uint64_t call(std::string& error) {
    const std::string id = std::to_string(++id_);
    const std::string request = R"({"jsonrpc":"2.0","id":)" + id + request_tail_;
    for (std::size_t done = 0; done < request.size();) {
      ssize_t n = ::send(fd_, request.data() + done, request.size() - done, MSG_NOSIGNAL);
      if (n <= 0) {
        error = "send: " + std::string(std::strerror(errno));
        return 0;
      }
      done += static_cast<std::size_t>(n);
    }
    std::string head;  // the answer's first bytes, to check it
    std::uint64_t total = 0;
    for (;;) {
      ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
      if (n <= 0) {
        error = n == 0 ? "the daemon closed the connection" : std::strerror(errno);
        return 0;
      }
      const auto got = static_cast<std::size_t>(n);
      if (head.size() < 256) head.append(buffer_.data(), std::min<std::size_t>(got, 256));
      total += got;
      const void* newline = std::memchr(buffer_.data(), '\n', got);
      if (newline == nullptr) continue;
      if (static_cast<const char*>(newline) != buffer_.data() + got - 1) {
        error = "bytes after the answer's newline (more than one answer in flight?)";
        return 0;
      }
      break;
    }
    const std::string expected = R"({"jsonrpc":"2.0","id":)" + id + R"(,"result":{)";
    if (head.compare(0, expected.size(), expected) != 0) {
      error = "unexpected answer: " + head.substr(0, 200);
      return 0;
    }
    return total;
  }

 private:
  int fd_;
  std::vector<char> buffer_;
  std::string request_tail_;
  std::uint64_t id_ = 0;
};

std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const auto n = static_cast<std::size_t>(options.clients);
  std::vector<ClientResult> results(n);
  std::barrier<> ready(static_cast<std::ptrdiff_t>(n) + 1);
  std::atomic<bool> failed_to_connect{false};
  Clock::time_point start;
  std::atomic<std::int64_t> deadline_ns{0};
  std::vector<Clock::time_point> finished(n);

  std::vector<std::thread> threads;
  threads.reserve(n);
  for (std::size_t c = 0; c < n; ++c) {
    threads.emplace_back([&, c] {
      ClientResult& r = results[c];
      int fd = connect_to(options.socket);
      if (fd < 0) {
        r.first_error = "connect " + options.socket + ": " + std::strerror(errno);
        failed_to_connect = true;
        ready.arrive_and_wait();
        ready.arrive_and_wait();
        return;
      }
      Client client(fd, options.location);
      r.connected = true;
      std::string error;
      for (int i = 0; i < options.warmup; ++i) {
        if (client.call(error) == 0) {
          ++r.errors;
          if (r.first_error.empty()) r.first_error = error;
        }
      }
      ready.arrive_and_wait();  // everyone is connected and warm
      ready.arrive_and_wait();  // start and deadline are set
      const Clock::time_point deadline{Clock::duration(deadline_ns.load())};
      while (Clock::now() < deadline) {
        const auto t0 = Clock::now();
        const std::uint64_t bytes = client.call(error);
        const auto t1 = Clock::now();
        if (bytes == 0) {
          ++r.errors;
          if (r.first_error.empty()) r.first_error = error;
          break;  // the connection's state is unknown after a failure
        }
        r.latencies_ns.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
        r.bytes += bytes;
        r.last_answer_bytes = bytes;
      }
      finished[c] = Clock::now();
    });
  }
  ready.arrive_and_wait();
  start = Clock::now();
  const auto duration = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.duration_s));
  deadline_ns = (start + duration).time_since_epoch().count();
  ready.arrive_and_wait();
  for (auto& t : threads)
    t.join();

  Clock::time_point end = start;
  std::vector<std::int64_t> all;
  std::uint64_t bytes = 0, errors = 0, answer_bytes = 0;
  std::string first_error;
  for (std::size_t c = 0; c < n; ++c) {
    const ClientResult& r = results[c];
    if (r.connected) end = std::max(end, finished[c]);
    all.insert(all.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    bytes += r.bytes;
    errors += r.errors;
    answer_bytes = std::max(answer_bytes, r.last_answer_bytes);
    if (first_error.empty()) first_error = r.first_error;
  }
  if (failed_to_connect) {
    std::fprintf(stderr, "codeloc_api_load: %s\n", first_error.c_str());
    return 2;
  }
  std::sort(all.begin(), all.end());
  const double elapsed = std::chrono::duration<double>(end - start).count();
  const double ms = 1e-6;
  double mean = 0;
  for (auto v : all)
    mean += static_cast<double>(v);
  if (!all.empty()) mean /= static_cast<double>(all.size());
  std::string escaped;
  for (char ch : first_error) {
    if (ch == '"' || ch == '\\') escaped += '\\';
    escaped += (static_cast<unsigned char>(ch) < 0x20) ? ' ' : ch;
  }
  std::printf(
      "{\"clients\":%d,\"duration_s\":%g,\"requests\":%zu,\"errors\":%llu,\"elapsed_s\":%.6f,"
      "\"req_per_s\":%.3f,\"mb_per_s\":%.3f,\"answer_bytes\":%llu,\"bytes\":%llu,"
      "\"p50_ms\":%.4f,\"p90_ms\":%.4f,\"p99_ms\":%.4f,\"min_ms\":%.4f,\"max_ms\":%.4f,"
      "\"mean_ms\":%.4f,\"first_error\":\"%s\"}\n",
      options.clients, options.duration_s, all.size(), static_cast<unsigned long long>(errors),
      elapsed, elapsed > 0 ? static_cast<double>(all.size()) / elapsed : 0.0,
      elapsed > 0 ? static_cast<double>(bytes) / elapsed / 1e6 : 0.0,
      static_cast<unsigned long long>(answer_bytes), static_cast<unsigned long long>(bytes),
      static_cast<double>(percentile(all, 50)) * ms, static_cast<double>(percentile(all, 90)) * ms,
      static_cast<double>(percentile(all, 99)) * ms,
      all.empty() ? 0.0 : static_cast<double>(all.front()) * ms,
      all.empty() ? 0.0 : static_cast<double>(all.back()) * ms, mean * ms, escaped.c_str());
  return errors > 0 ? 1 : 0;
}
