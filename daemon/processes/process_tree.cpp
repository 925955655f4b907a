#include "daemon/processes/process_tree.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace codeloc::daemon {
namespace {

struct ProcInfo {
  pid_t ppid = 0;
  pid_t pgrp = 0;
  bool zombie = false;
};

bool read_stat(pid_t pid, ProcInfo* info) {
  std::optional<std::string> read = read_proc_file(pid, "stat");
  if (!read) return false;
  const std::string& stat = *read;
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses; it ends at the last
  // ')'.
  std::size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  const char* p = stat.c_str() + close + 2;
  char state = *p;
  char* end = nullptr;
  long ppid = std::strtol(p + 1, &end, 10);
  long pgrp = std::strtol(end, &end, 10);
  info->ppid = static_cast<pid_t>(ppid);
  info->pgrp = static_cast<pid_t>(pgrp);
  info->zombie = state == 'Z' || state == 'X';
  return true;
}

// Which program a process runs, from /proc/PID/stat: its start time (field 22, clock ticks since
// boot: with the pid it names one process) and its name (field 2, which an exec changes).
struct ProcessIdentity {
  unsigned long long start_time = 0;
  std::string comm;
  bool operator==(const ProcessIdentity&) const = default;
};

std::optional<ProcessIdentity> identity_of(pid_t pid) {
  std::optional<std::string> read = read_proc_file(pid, "stat");
  if (!read) return std::nullopt;
  const std::size_t open = read->find('(');
  std::size_t at = read->rfind(')');
  if (open == std::string::npos || at == std::string::npos || at < open) return std::nullopt;
  ProcessIdentity identity;
  identity.comm = read->substr(open + 1, at - open - 1);
  for (int field = 2; field < 22; ++field) {  // field 2 ends at the ')'
    at = read->find(' ', at + 1);
    if (at == std::string::npos) return std::nullopt;
  }
  identity.start_time = std::strtoull(read->c_str() + at + 1, nullptr, 10);
  return identity;
}

// The value of `name` in an environment as /proc/PID/environ gives it ("" when it is not there).
std::string environment_value(const std::string& environ, std::string_view name) {
  std::size_t start = 0;
  while (start < environ.size()) {
    std::size_t end = environ.find('\0', start);
    if (end == std::string::npos) end = environ.size();
    std::string_view entry(environ.data() + start, end - start);
    if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=')
      return std::string(entry.substr(name.size() + 1));
    start = end + 1;
  }
  return {};
}

// The instance tokens of the daemon's children, by pid. Reading /proc/PID/environ takes the
// process's mmap lock, which a fork server holds through each fork() it makes (milliseconds for
// a Python process, longer on a busy machine): read on the loop for every check, it stalled the
// loop while warm starts were forked. A program's environment does not change, so each is read
// once and known again by the process's start time and name (an exec reads it anew). A read that
// gives nothing (a process in the middle of an exec shows an empty environment) is not kept.
struct ChildToken {
  ProcessIdentity identity;
  std::string token;
};
std::map<pid_t, ChildToken> child_tokens;

bool child_has_token(pid_t pid, const std::string& token) {
  std::optional<ProcessIdentity> identity = identity_of(pid);
  if (!identity) return false;  // gone
  auto it = child_tokens.find(pid);
  if (it != child_tokens.end() && it->second.identity == *identity)
    return it->second.token == token;
  std::optional<std::string> environ = read_proc_file(pid, "environ");
  if (!environ || environ->empty()) return false;
  it = child_tokens
           .insert_or_assign(pid, ChildToken{*identity, environment_value(*environ, kEnvInstance)})
           .first;
  return it->second.token == token;
}

// Forgets the children that are not among `children` any more.
void forget_other_children(const std::vector<pid_t>& children) {
  std::erase_if(child_tokens, [&](const auto& entry) {
    return std::find(children.begin(), children.end(), entry.first) == children.end();
  });
}

}  // namespace

std::optional<std::string> read_to_end(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return out;
    } else if (errno != EINTR) {
      return std::nullopt;
    }
  }
}

std::optional<std::string> read_proc_file(pid_t pid, const char* name) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> contents = read_to_end(fd);
  ::close(fd);
  return contents;
}

namespace {

using ProcTable = std::map<pid_t, ProcInfo>;

ProcTable read_proc_table() {
  ProcTable procs;
  if (DIR* dir = ::opendir("/proc")) {
    while (dirent* entry = ::readdir(dir)) {
      char* end = nullptr;
      long pid = std::strtol(entry->d_name, &end, 10);
      if (pid <= 0 || *end != '\0') continue;
      ProcInfo info;
      if (read_stat(static_cast<pid_t>(pid), &info)) procs[static_cast<pid_t>(pid)] = info;
    }
    ::closedir(dir);
  }
  return procs;
}

int batch_depth = 0;
std::optional<ProcTable> batch_table;
std::set<std::pair<pid_t, std::string>> batch_gone;  // location_surely_gone() said so

// This process's children, from every thread's /proc/self/task/TID/children (a child is listed
// under the thread that forked it, an orphan under the thread it was re-parented to); nullopt when
// one of those files cannot be read (a thread that ended meanwhile, or a kernel without them).
std::optional<std::vector<pid_t>> own_children() {
  DIR* dir = ::opendir("/proc/self/task");
  if (!dir) return std::nullopt;
  std::vector<pid_t> children;
  bool complete = true;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::string path = std::string("/proc/self/task/") + entry->d_name + "/children";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    std::optional<std::string> text;
    if (fd >= 0) {
      text = read_to_end(fd);
      ::close(fd);
    }
    if (!text) {
      complete = false;
      break;
    }
    const char* p = text->c_str();
    char* end = nullptr;
    for (long pid; (pid = std::strtol(p, &end, 10)) > 0; p = end)
      children.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(dir);
  if (!complete) return std::nullopt;
  return children;
}

const ProcTable& proc_table(ProcTable& fresh) {
  if (batch_depth == 0) return fresh = read_proc_table();
  if (!batch_table) batch_table = read_proc_table();
  return *batch_table;
}

}  // namespace

ProcessScanBatch::ProcessScanBatch() {
  ++batch_depth;
}

ProcessScanBatch::~ProcessScanBatch() {
  if (--batch_depth == 0) {
    batch_table.reset();
    batch_gone.clear();
  }
}

bool location_surely_gone(pid_t leader, const std::string& token) {
  if (::kill(-leader, 0) == 0 || errno != ESRCH) return false;
  if (::kill(leader, 0) == 0 || errno != ESRCH) return false;
  std::optional<std::vector<pid_t>> children = own_children();
  if (!children) return false;
  forget_other_children(*children);
  if (token.empty()) return true;
  return std::none_of(children->begin(), children->end(),
                      [&](pid_t child) { return child_has_token(child, token); });
}

std::vector<pid_t> location_processes(pid_t leader, const std::string& token) {
  // The quick look costs a few reads of the daemon's own /proc files instead of one per process
  // on the machine; a batch that has read /proc already answers from its pass. A batch remembers
  // whom the quick look found gone (gone stays gone: nothing is left to start a process).
  if (batch_depth > 0 && batch_gone.contains({leader, token})) return {};
  if (!(batch_depth > 0 && batch_table) && location_surely_gone(leader, token)) {
    if (batch_depth > 0) batch_gone.insert({leader, token});
    return {};
  }
  ProcTable fresh;
  const ProcTable& procs = proc_table(fresh);

  std::set<pid_t> found;
  const pid_t self = ::getpid();
  for (const auto& [pid, info] : procs) {
    if (info.pgrp == leader || pid == leader) {
      found.insert(pid);
    } else if (info.ppid == self && !token.empty() && child_has_token(pid, token)) {
      found.insert(pid);
    }
  }
  // Descendants by parent links, to a fixed point (the tree is small; /proc order is arbitrary).
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, info] : procs) {
      if (!found.count(pid) && found.count(info.ppid)) grew = found.insert(pid).second || grew;
    }
  }
  std::vector<pid_t> alive;
  for (pid_t pid : found) {
    if (!procs.at(pid).zombie) alive.push_back(pid);
  }
  return alive;
}

}  // namespace codeloc::daemon
