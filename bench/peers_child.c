/* bench/peers.py's C child (--child c): the Python child's behaviour, without an interpreter's
 * start-up. Appends "start PID T" first, and in crash mode "exit PID T" right before it exits with
 * status 1, 200 ms after its start (T: CLOCK_MONOTONIC, seconds). Under codeloc
 * (CODELOC_CHANNEL_FD set) it answers initialize, definitions.get, ping and shutdown on the channel
 * with an empty snapshot, so that it counts as loaded; it exits 0 when the channel closes.
 * Usage: child MODE STAMPS (MODE: crash or serve). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char* stamps;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void stamp(const char* kind) {
  char line[96];
  int n = snprintf(line, sizeof line, "%s %d %.6f\n", kind, (int)getpid(), now());
  int fd = open(stamps, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    if (write(fd, line, (size_t)n) < 0) _exit(2);
    close(fd);
  }
}

static void send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n <= 0) _exit(0);
    data += n;
    size -= (size_t)n;
  }
}

/* One request line: answers it when it has an id. */
static void answer(int fd, char* line) {
  char method[64] = "";
  char* m = strstr(line, "\"method\":");
  if (m && sscanf(m + 9, " \"%63[^\"]\"", method) != 1) method[0] = '\0';
  char* id = strstr(line, "\"id\":");
  if (!id) return;
  id += 5;
  while (*id == ' ') ++id;
  size_t id_len = strcspn(id, ",}");
  const char* name = getenv("CODELOC_LOCATION");
  if (!name) name = "";
  char out[512];
  int n;
  if (strcmp(method, "initialize") == 0) {
    n = snprintf(out, sizeof out,
                 "{\"jsonrpc\":\"2.0\",\"id\":%.*s,\"result\":{\"protocol_version\":1,"
                 "\"location\":\"%s\",\"server\":{\"name\":\"bench-child-c\",\"version\":\"1\"},"
                 "\"pid\":%d}}\n",
                 (int)id_len, id, name, (int)getpid());
  } else if (strcmp(method, "definitions.get") == 0) {
    n = snprintf(out, sizeof out,
                 "{\"jsonrpc\":\"2.0\",\"id\":%.*s,\"result\":{\"snapshot\":{\"location\":\"%s\","
                 "\"assets\":[]},\"summary\":{\"assets\":0}}}\n",
                 (int)id_len, id, name);
  } else if (strcmp(method, "ping") == 0 || strcmp(method, "shutdown") == 0) {
    n = snprintf(out, sizeof out, "{\"jsonrpc\":\"2.0\",\"id\":%.*s,\"result\":{}}\n",
                 (int)id_len, id);
  } else {
    n = snprintf(out, sizeof out,
                 "{\"jsonrpc\":\"2.0\",\"id\":%.*s,\"error\":{\"code\":-32601,"
                 "\"message\":\"method not found\"}}\n",
                 (int)id_len, id);
  }
  send_all(fd, out, (size_t)n);
  if (strcmp(method, "shutdown") == 0) _exit(0);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  stamps = argv[2];
  double started = now();
  stamp("start");
  int crash = strcmp(argv[1], "crash") == 0;
  const char* channel = getenv("CODELOC_CHANNEL_FD");
  int fd = channel ? atoi(channel) : -1;
  static char buffer[1 << 16];
  size_t used = 0;
  for (;;) {
    int timeout = -1;
    if (crash) {
      double left = started + 0.2 - now();
      if (left <= 0) break;
      timeout = (int)(left * 1000) + 1;  /* rounded up: it never exits early */
    }
    if (fd < 0) {
      if (!crash) {
        pause();
        continue;
      }
      struct timespec left = {0, (long)((started + 0.2 - now()) * 1e9)};
      if (left.tv_nsec > 0) nanosleep(&left, NULL);
      continue;
    }
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, timeout) <= 0) continue;
    ssize_t n = read(fd, buffer + used, sizeof buffer - used - 1);
    if (n <= 0) _exit(0);
    used += (size_t)n;
    buffer[used] = '\0';
    char* start = buffer;
    char* end;
    while ((end = strchr(start, '\n'))) {
      *end = '\0';
      answer(fd, start);
      start = end + 1;
    }
    used -= (size_t)(start - buffer);
    memmove(buffer, start, used);
    if (used == sizeof buffer - 1) used = 0; /* a line too long for this child: dropped */
  }
  stamp("exit");
  _exit(1);
}
