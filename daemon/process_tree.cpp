#include "daemon/process_tree.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>

#include <dirent.h>
#include <unistd.h>

namespace codeloc::daemon {
namespace {

struct ProcInfo {
  pid_t ppid = 0;
  pid_t pgrp = 0;
  bool zombie = false;
};

bool read_stat(pid_t pid, ProcInfo* info) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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

bool environ_has(pid_t pid, const std::string& entry) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  std::string item;
  while (std::getline(in, item, '\0')) {
    if (item == entry) return true;
  }
  return false;
}

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
  if (--batch_depth == 0) batch_table.reset();
}

std::vector<pid_t> location_processes(pid_t leader, const std::string& token) {
  ProcTable fresh;
  const ProcTable& procs = proc_table(fresh);

  std::set<pid_t> found;
  const pid_t self = ::getpid();
  const std::string marker = std::string(kEnvInstance) + "=" + token;
  for (const auto& [pid, info] : procs) {
    if (info.pgrp == leader || pid == leader) {
      found.insert(pid);
    } else if (info.ppid == self && !token.empty() && environ_has(pid, marker)) {
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
