// A ProcessSignals that sends nothing: it records every signal and answers the /proc scan from
// what the test says is alive, so that supervision tests can use any pid.
#pragma once

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "daemon/processes/process_signals.h"

namespace codeloc::daemon::testing {

class FakeProcessSignals final : public ProcessSignals {
 public:
  struct Sent {
    pid_t target;  // a group id for group signals, else a pid
    int signal;
    bool group;
    bool operator==(const Sent&) const = default;
  };

  // Signal 0 (is the group there?) is answered, not recorded: ESRCH once the test says the
  // group is gone.
  int signal_group(pid_t group, int signal) override {
    if (signal == 0) return groups_exist && !gone_groups.contains(group) ? 0 : ESRCH;
    sent.push_back({group, signal, true});
    return 0;
  }
  int signal_process(pid_t pid, int signal) override {
    sent.push_back({pid, signal, false});
    return 0;
  }
  std::vector<pid_t> location_processes(pid_t leader, const std::string&) override {
    ++scans;
    auto it = alive.find(leader);
    return it == alive.end() ? std::vector<pid_t>{} : it->second;
  }

  // The group signals sent to `group`, in order.
  std::vector<int> group_signals(pid_t group) const {
    std::vector<int> out;
    for (const Sent& s : sent) {
      if (s.group && s.target == group) out.push_back(s.signal);
    }
    return out;
  }

  std::vector<Sent> sent;
  // leader -> the processes of its location the scan finds (none unless set).
  std::map<pid_t, std::vector<pid_t>> alive;
  int scans = 0;
  // Which process groups a signal 0 finds: all but gone_groups, or none.
  bool groups_exist = true;
  std::set<pid_t> gone_groups;
};

}  // namespace codeloc::daemon::testing
