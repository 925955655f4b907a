/* bench/peers.py's "floor" row (--child c or c-static): the least a supervisor can do to restart a
 * child that exits, with nothing of its own in between. It starts the child (posix_spawn, glibc's
 * clone(CLONE_VM | CLONE_VFORK) + execve), waits for it in a blocking waitpid, sleeps the backoff
 * (clock_nanosleep) and starts it again, until it is stopped by a signal. No logging, no state, no
 * event loop: a restart measured under it is the machine's own cost (exit, reap, timer, fork,
 * exec). Usage: restart_floor BACKOFF_US CHILD [ARGS...] */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: restart_floor BACKOFF_US CHILD [ARGS...]\n");
    return 2;
  }
  long backoff_us = strtol(argv[1], NULL, 10);
  const struct timespec backoff = {backoff_us / 1000000, (backoff_us % 1000000) * 1000};
  for (;;) {
    pid_t pid;
    int error = posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ);
    if (error != 0) {
      fprintf(stderr, "restart_floor: cannot start %s: %s\n", argv[2], strerror(error));
      return 1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    struct timespec left = backoff;
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &left, &left) == EINTR) {
    }
  }
}
