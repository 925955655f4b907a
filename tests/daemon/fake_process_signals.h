// A ProcessSignals that sends nothing and reaps nothing real: it records every signal, hands out
// the exits the test queued (`exits`) and answers the /proc scan from what the test says is alive,
// so that supervision tests can use any pid.
#pragma once

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <optional>
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

  std::optional<ReapedChild> reap_child() override {
    if (exits.empty()) return std::nullopt;
    ReapedChild reaped = exits.front();
    exits.pop_front();
    return reaped;
  }
  void begin_scans() override {
    ++batches;
    ++batch_depth;
  }
  void end_scans() override { --batch_depth; }

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
  // What reap_child() hands out, in order, one per call.
  std::deque<ReapedChild> exits;
  int batches = 0;      // begin_scans() calls
  int batch_depth = 0;  // begun and not yet ended
  // Which process groups a signal 0 finds: all but gone_groups, or none.
  bool groups_exist = true;
  std::set<pid_t> gone_groups;
};

}  // namespace codeloc::daemon::testing
